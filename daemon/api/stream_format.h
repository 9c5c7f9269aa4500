// DynamoDB Streams names and shapes: stream ARNs and labels, shard ids, sequence numbers,
// shard iterators and records as DynamoDB renders them (docs/streams.md). Pure functions,
// shared by the Streams API (ops_streams.cc) and triggers (daemon/trigger.cc).
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/streams.h"

namespace meridian::api {

// "2026-12-03T14:20:27.123" (UTC, milliseconds) <-> epoch ms.
std::string StreamLabel(uint64_t label_ms);
std::optional<uint64_t> ParseStreamLabel(std::string_view label);

// arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>
std::string StreamArn(std::string_view region, std::string_view account, std::string_view table,
                      uint64_t label_ms);
struct StreamArnParts {
  std::string table;
  uint64_t label_ms = 0;
};
std::optional<StreamArnParts> ParseStreamArn(std::string_view arn);

// "shardId-<20 digits: the first seq>-<8 hex: a digest of the stream and the seq>".
std::string ShardId(const store::StreamInfo& stream, uint64_t first_seq);
// The first seq of the shard `id` names in `stream`; nullopt when it is not one of its ids.
std::optional<uint64_t> ParseShardId(const store::StreamInfo& stream, std::string_view id);

// 21-digit zero-padded decimal, so lexical order is numeric order.
std::string SequenceNumber(uint64_t seq);
std::optional<uint64_t> ParseSequenceNumber(std::string_view text);

// A position in a shard: "<stream arn>|1|<opaque>", where the opaque part holds the shard,
// the next seq to read, when it was issued and a checksum.
struct ShardIterator {
  std::string stream_arn;
  uint64_t shard_first_seq = 0;
  uint64_t position = 0;  // next seq to return
  uint64_t issued_ms = 0;
};
std::string EncodeShardIterator(const ShardIterator& it);
std::optional<ShardIterator> DecodeShardIterator(std::string_view text);
// Iterators expire 15 minutes after they were issued (DynamoDB).
inline constexpr uint64_t kShardIteratorTtlMs = uint64_t{15} * 60 * 1000;

// A record as GetRecords returns it, or (lambda) as a Lambda event's record: the same plus
// eventSourceARN, with userIdentity's members in Lambda's lower case.
struct RecordContext {
  const store::StreamInfo* stream;
  std::string_view region;
  std::string_view stream_arn;
  bool lambda = false;
};
boost::json::object RecordJson(const store::StreamRecord& record, const RecordContext& ctx);

}  // namespace meridian::api
