// Change-log records (schemas/replication.capnp Change): one per committed change of an
// origin region, stored in every region's log column family under origin|seq and shipped
// to other regions byte for byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "conflict/version_vector.h"

namespace meridian::store {

struct Change {
  enum class Kind : uint8_t { kItem, kCreateTable, kDeleteTable, kUpdateTable };
  conflict::RegionId origin = 0;
  uint64_t seq = 0;
  Kind kind = Kind::kItem;
  std::string table_name;
  std::string key_suffix;        // kItem: item key without the table id
  std::string version_bytes;     // kItem: encoded conflict::ItemVersion
  std::string table_bytes;       // kCreateTable: encoded TableDescriptor
  conflict::VersionVector deps;  // the origin's applied vector (other origins) at commit
  uint64_t hlc_millis = 0;
  // A transaction's changes: consecutive seqs [txn_first, txn_first + txn_count) of the
  // origin, written in one commit group there and applied as one unit everywhere.
  uint64_t txn_first = 0;  // 0: not part of a transaction
  uint32_t txn_count = 0;
  bool ttl_expiry = false;  // a delete by the TTL sweeper

  bool in_transaction() const { return txn_first != 0; }
  uint64_t txn_last() const { return txn_first + txn_count - 1; }
};

// The most changes one transaction may have (DynamoDB: 100 actions).
inline constexpr uint32_t kMaxTransactionChanges = 100;

std::string EncodeChange(const Change& change);
// Corruption for malformed bytes (never throws). Checks origin != 0 and seq != 0.
Result<Change> DecodeChange(std::string_view bytes);

// Log column family key: origin (kLogOriginBytes, BE) | seq (8 bytes BE).
inline constexpr size_t kLogOriginBytes = 4;
std::string LogKey(conflict::RegionId origin, uint64_t seq);
// The first kLogOriginBytes of every log key of `origin`.
std::string LogOriginPrefix(conflict::RegionId origin);
// The seq of a log key. REQUIRES: `key` came from LogKey.
uint64_t LogKeySeq(std::string_view key);

}  // namespace meridian::store
