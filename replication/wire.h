// Encoding and validation of the replication messages (schemas/replication.capnp). Every
// decoder takes untrusted peer bytes: it never throws and never trusts sizes or counts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "conflict/version_vector.h"

namespace meridian::replication {

struct ChangeBatchMessage {
  conflict::RegionId origin = 0;
  conflict::RegionId sender = 0;
  uint64_t first_seq = 0;
  std::vector<std::string> changes;  // encoded store::Change, consecutive seqs from first_seq
  uint64_t first_available = 0;      // fetch replies: oldest seq of origin still held (0 = unknown)
};

struct FetchRequestMessage {
  conflict::RegionId origin = 0;
  uint64_t from_seq = 0;
  uint32_t max_changes = 0;
  uint32_t max_bytes = 0;
  conflict::RegionId requester = 0;
};

struct HeartbeatMessage {
  conflict::RegionId region = 0;
  std::string region_name;
  uint64_t head_seq = 0;
  conflict::VersionVector applied;
  uint64_t now_millis = 0;
  std::string server_id;
  std::vector<std::string> backfilling;  // tables whose replica here is still CREATING
  std::string admin_url;                 // its status API, as it advertises it ("": none)
};

struct SnapshotRequestMessage {
  conflict::RegionId requester = 0;
  std::string table;
  std::string after_key;  // key suffix to resume after (empty: from the start)
  uint32_t max_bytes = 0;
  std::string until_key;  // stop before this key suffix (empty: the table's end)
  bool catalog = false;   // ask for every table definition instead of items
};

struct DigestRequestMessage {
  conflict::RegionId requester = 0;
  std::string table;
};

struct DigestReplyMessage {
  std::string table;
  bool found = false;
  conflict::VersionVector vector;
  std::vector<uint64_t> buckets;
};

struct SnapshotChunkMessage {
  std::string table;
  bool found = false;
  conflict::VersionVector vector;
  std::vector<std::pair<std::string, std::string>> items;  // key suffix, encoded ItemVersion
  bool done = false;
  uint64_t table_items = 0;  // the table's live items at the sender (0: unknown)
};

std::string EncodeChangeBatch(const ChangeBatchMessage& m);
Result<ChangeBatchMessage> DecodeChangeBatch(std::string_view bytes);
std::string EncodeFetchRequest(const FetchRequestMessage& m);
Result<FetchRequestMessage> DecodeFetchRequest(std::string_view bytes);
std::string EncodeHeartbeat(const HeartbeatMessage& m);
Result<HeartbeatMessage> DecodeHeartbeat(std::string_view bytes);
std::string EncodeSnapshotRequest(const SnapshotRequestMessage& m);
Result<SnapshotRequestMessage> DecodeSnapshotRequest(std::string_view bytes);
std::string EncodeSnapshotChunk(const SnapshotChunkMessage& m);
// Checks keys and versions pair up and keys are long enough to be item key suffixes.
Result<SnapshotChunkMessage> DecodeSnapshotChunk(std::string_view bytes);
std::string EncodeDigestRequest(const DigestRequestMessage& m);
Result<DigestRequestMessage> DecodeDigestRequest(std::string_view bytes);
std::string EncodeDigestReply(const DigestReplyMessage& m);
// Checks there are 0 (not found) or exactly 256 buckets.
Result<DigestReplyMessage> DecodeDigestReply(std::string_view bytes);

}  // namespace meridian::replication
