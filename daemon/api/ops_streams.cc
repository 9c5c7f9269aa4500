// The DynamoDB Streams API (X-Amz-Target DynamoDBStreams_20120810.*): ListStreams,
// DescribeStream, GetShardIterator, GetRecords over this region's streams (store/streams.h).
#include <boost/json.hpp>

#include "common/wall_clock.h"
#include "daemon/api/api_error.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "daemon/api/stream_format.h"

namespace meridian::api {

namespace json = boost::json;

namespace {

ApiError ExpiredIterator(std::string msg) {
  return {"com.amazonaws.dynamodb.v20120810#ExpiredIteratorException", 400, std::move(msg)};
}
ApiError TrimmedDataAccess(std::string msg) {
  return {"com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException", 400, std::move(msg)};
}

constexpr size_t kMaxGetRecordsBytes = 1 << 20;  // DynamoDB: 1 MB per GetRecords

uint64_t Now() { return static_cast<uint64_t>(WallClockMillis()); }

std::string Arn(const OpContext& ctx, const store::StreamInfo& s) {
  return StreamArn(ctx.options->region, ctx.options->account_id, s.table_name, s.label_ms);
}

// An integer member within [lo, hi], as a constraint error otherwise.
std::optional<int64_t> BoundedInt(const Request& req, std::string_view member,
                                  std::string_view path, int64_t lo, int64_t hi,
                                  ConstraintErrors* errors) {
  auto v = OptionalInt(req, member);
  if (!v) return std::nullopt;
  if (*v < lo) {
    errors->Add(std::to_string(*v), path,
                "Member must have value greater than or equal to " + std::to_string(lo));
  } else if (*v > hi) {
    errors->Add(std::to_string(*v), path,
                "Member must have value less than or equal to " + std::to_string(hi));
  }
  return v;
}

// A string member whose length must be within [lo, hi].
std::optional<std::string> BoundedString(const Request& req, std::string_view member,
                                         std::string_view path, size_t lo, size_t hi,
                                         ConstraintErrors* errors, bool required) {
  auto v = OptionalString(req, member);
  if (!v) {
    if (required) errors->Add("null", path, "Member must not be null");
    return v;
  }
  if (v->size() < lo) {
    errors->Add("'" + *v + "'", path,
                "Member must have length greater than or equal to " + std::to_string(lo));
  } else if (v->size() > hi) {
    errors->Add("'" + *v + "'", path,
                "Member must have length less than or equal to " + std::to_string(hi));
  }
  return v;
}

// The stream an ARN names in this region.
store::StreamInfo FindStream(const OpContext& ctx, const std::string& arn) {
  auto parts = ParseStreamArn(arn);
  if (!parts) throw ApiError::Validation("Invalid StreamArn");
  std::optional<store::StreamInfo> stream;
  if (StreamArn(ctx.options->region, ctx.options->account_id, parts->table, parts->label_ms) ==
      arn) {
    stream = ctx.store->FindStream(parts->table, parts->label_ms);
  }
  if (!stream) {
    throw ApiError::ResourceNotFound("Requested resource not found: Stream: " + arn + " not found");
  }
  return std::move(*stream);
}

json::array KeySchema(const store::StreamInfo& s) {
  json::array schema;
  schema.push_back(json::object{{"AttributeName", s.partition_key.name}, {"KeyType", "HASH"}});
  if (s.sort_key) {
    schema.push_back(json::object{{"AttributeName", s.sort_key->name}, {"KeyType", "RANGE"}});
  }
  return schema;
}

json::object ShardJson(const store::StreamInfo& s, const store::StreamShard& shard) {
  json::object range{{"StartingSequenceNumber", SequenceNumber(shard.first_seq)}};
  if (shard.closed) range["EndingSequenceNumber"] = SequenceNumber(shard.last_seq);
  json::object out{{"ShardId", ShardId(s, shard.first_seq)}, {"SequenceNumberRange", range}};
  if (const store::StreamShard* parent = s.ParentOf(shard.first_seq)) {
    out["ParentShardId"] = ShardId(s, parent->first_seq);
  }
  return out;
}

}  // namespace

Response ListStreams(const OpContext& ctx, const Request& req) {
  ConstraintErrors errors;
  const auto limit = BoundedInt(req, "Limit", "limit", 1, 100, &errors);
  auto table = OptionalString(req, "TableName");
  if (table) errors.TableName(table, "tableName");
  auto start = OptionalString(req, "ExclusiveStartStreamArn");
  errors.ThrowIfAny();
  if (start && !ParseStreamArn(*start)) throw ApiError::Validation("Invalid StreamArn");

  json::array streams;
  std::optional<std::string> last;
  bool started = !start;
  for (const store::StreamInfo& s : ctx.store->ListStreams()) {
    if (table && s.table_name != *table) continue;
    const std::string arn = Arn(ctx, s);
    if (!started) {
      started = arn == *start;
      continue;
    }
    if (limit && streams.size() >= static_cast<size_t>(*limit)) {
      last = json::value_to<std::string>(streams.back().as_object().at("StreamArn"));
      break;
    }
    streams.push_back(json::object{
        {"StreamArn", arn}, {"TableName", s.table_name}, {"StreamLabel", StreamLabel(s.label_ms)}});
  }
  json::object out{{"Streams", std::move(streams)}};
  if (last) out["LastEvaluatedStreamArn"] = *last;
  return out;
}

Response DescribeStream(const OpContext& ctx, const Request& req) {
  ConstraintErrors errors;
  auto arn = BoundedString(req, "StreamArn", "streamArn", 37, 1024, &errors, true);
  const auto limit = BoundedInt(req, "Limit", "limit", 1, 100, &errors);
  auto start =
      BoundedString(req, "ExclusiveStartShardId", "exclusiveStartShardId", 28, 65, &errors, false);
  errors.ThrowIfAny();
  const store::StreamInfo s = FindStream(ctx, *arn);

  json::array shards;
  std::optional<std::string> last;
  bool started = !start;
  for (const store::StreamShard& shard : s.shards) {
    const std::string id = ShardId(s, shard.first_seq);
    if (!started) {
      started = id == *start;
      continue;
    }
    if (limit && shards.size() >= static_cast<size_t>(*limit)) {
      last = json::value_to<std::string>(shards.back().as_object().at("ShardId"));
      break;
    }
    shards.push_back(ShardJson(s, shard));
  }
  json::object d;
  d["StreamArn"] = *arn;
  d["StreamLabel"] = StreamLabel(s.label_ms);
  d["StreamStatus"] = s.enabled() ? "ENABLED" : "DISABLED";
  d["StreamViewType"] = store::StreamViewTypeName(s.view_type);
  d["CreationRequestDateTime"] = static_cast<double>(s.label_ms) / 1000.0;
  d["TableName"] = s.table_name;
  d["KeySchema"] = KeySchema(s);
  d["Shards"] = std::move(shards);
  if (last) d["LastEvaluatedShardId"] = *last;
  return json::object{{"StreamDescription", std::move(d)}};
}

Response GetShardIterator(const OpContext& ctx, const Request& req) {
  ConstraintErrors errors;
  auto arn = BoundedString(req, "StreamArn", "streamArn", 37, 1024, &errors, true);
  auto shard_id = BoundedString(req, "ShardId", "shardId", 28, 65, &errors, true);
  auto type = OptionalString(req, "ShardIteratorType");
  if (!type) {
    errors.Add("null", "shardIteratorType", "Member must not be null");
  } else if (*type != "TRIM_HORIZON" && *type != "LATEST" && *type != "AT_SEQUENCE_NUMBER" &&
             *type != "AFTER_SEQUENCE_NUMBER") {
    errors.Add("'" + *type + "'", "shardIteratorType",
               "Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, "
               "AT_SEQUENCE_NUMBER, TRIM_HORIZON]");
  }
  auto seq_text = BoundedString(req, "SequenceNumber", "sequenceNumber", 21, 40, &errors, false);
  errors.ThrowIfAny();
  const bool at_seq = *type == "AT_SEQUENCE_NUMBER" || *type == "AFTER_SEQUENCE_NUMBER";
  if (at_seq && !seq_text) {
    throw ApiError::Validation("Must specify a sequence number for iterator type " + *type);
  }
  if (!at_seq && seq_text) {
    throw ApiError::Validation("Cannot specify a sequence number for iterator type " + *type);
  }
  const store::StreamInfo s = FindStream(ctx, *arn);
  auto first = ParseShardId(s, *shard_id);
  const store::StreamShard* shard = first ? s.FindShard(*first) : nullptr;
  if (!shard) {
    throw ApiError::ResourceNotFound("Requested resource not found: Shard does not exist");
  }
  uint64_t position = 0;
  if (*type == "TRIM_HORIZON") {
    position = std::max(shard->first_seq, s.trimmed_before);
  } else if (*type == "LATEST") {
    position = shard->closed ? shard->last_seq + 1
                             : std::max(shard->first_seq, ctx.store->LastStreamSeq() + 1);
  } else {
    auto seq = ParseSequenceNumber(*seq_text);
    if (!seq || *seq < shard->first_seq || (shard->closed && *seq > shard->last_seq) ||
        (!shard->closed && *seq > ctx.store->LastStreamSeq())) {
      throw ApiError::Validation("Invalid SequenceNumber " + *seq_text + " for shard " + *shard_id);
    }
    if (*seq < s.trimmed_before) {
      throw TrimmedDataAccess("The requested sequence number " + *seq_text +
                              " is beyond the trim horizon of the shard");
    }
    position = *type == "AT_SEQUENCE_NUMBER" ? *seq : *seq + 1;
  }
  ShardIterator it{*arn, shard->first_seq, position, Now()};
  return json::object{{"ShardIterator", EncodeShardIterator(it)}};
}

Response GetRecords(const OpContext& ctx, const Request& req) {
  ConstraintErrors errors;
  auto text = BoundedString(req, "ShardIterator", "shardIterator", 1, 2048, &errors, true);
  const auto limit = BoundedInt(req, "Limit", "limit", 1, 1000, &errors);
  errors.ThrowIfAny();
  auto it = DecodeShardIterator(*text);
  if (!it) throw ApiError::Validation("Invalid ShardIterator");
  const uint64_t now = Now();
  if (now > it->issued_ms + kShardIteratorTtlMs) {
    throw ExpiredIterator("Iterator expired. The iterator was created at time " +
                          StreamLabel(it->issued_ms) + " while right now it is " +
                          StreamLabel(now) + " which is further in the future than the " +
                          "tolerated delay of 900000 milliseconds.");
  }
  const store::StreamInfo s = FindStream(ctx, it->stream_arn);
  const store::StreamShard* shard = s.FindShard(it->shard_first_seq);
  if (!shard || it->position < s.trimmed_before) {
    throw TrimmedDataAccess(
        "The operation attempted to read past the oldest stream record in a shard.");
  }
  std::vector<store::StreamRecord> records;
  const uint64_t to = shard->closed ? shard->last_seq : UINT64_MAX;
  ThrowIfError(ctx.store->ReadStream(s, it->position, to, limit ? size_t(*limit) : 1000,
                                     kMaxGetRecordsBytes, &records));
  json::array out_records;
  out_records.reserve(records.size());
  const std::string arn = it->stream_arn;
  RecordContext rc{&s, ctx.options->region, arn, false};
  for (const auto& r : records) out_records.push_back(RecordJson(r, rc));
  uint64_t next = records.empty() ? it->position : records.back().seq + 1;
  json::object out{{"Records", std::move(out_records)}};
  if (!shard->closed || next <= shard->last_seq) {
    ShardIterator following{arn, shard->first_seq, next, now};
    out["NextShardIterator"] = EncodeShardIterator(following);
  }
  return out;
}

}  // namespace meridian::api

namespace meridian::api {

void ApplyStreamSpecification(const Request& req, bool creating, store::TableInfo* info) {
  const json::value* member = Member(req, "StreamSpecification");
  if (!member) return;
  const json::object& spec = ExpectObject(*member, "StreamSpecification");
  ConstraintErrors errors;
  errors.NotNull(spec, "StreamEnabled", "streamSpecification.streamEnabled");
  auto view_name = OptionalString(spec, "StreamViewType");
  std::optional<store::StreamViewType> view;
  if (view_name) {
    view = store::ParseStreamViewType(*view_name);
    if (!view) {
      errors.Add("'" + *view_name + "'", "streamSpecification.streamViewType",
                 "Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, "
                 "NEW_AND_OLD_IMAGES, KEYS_ONLY]");
    }
  }
  errors.ThrowIfAny();
  const bool enabled = *OptionalBool(spec, "StreamEnabled");
  const std::string invalid = "One or more parameter values were invalid: ";
  if (creating) {
    if (enabled && !view) {
      throw ApiError::Validation(
          invalid + "Table is being created with a stream enabled, UpdateViewType is required");
    }
    if (!enabled && view) {
      throw ApiError::Validation(
          invalid +
          "Table is being created with a stream disabled, UpdateViewType should not "
          "be specified");
    }
  } else {
    if (enabled && !view) {
      throw ApiError::Validation(invalid +
                                 "If stream is being enabled then UpdateViewType is required");
    }
    if (!enabled && view) {
      throw ApiError::Validation(
          invalid + "If stream is being disabled, then UpdateViewType must not be specified");
    }
    if (enabled && info->stream.enabled) {
      throw ApiError::Validation("Table already has an enabled stream: TableName: " + info->name);
    }
    if (!enabled && !info->stream.enabled) {
      throw ApiError::Validation("Table has no stream to disable: TableName: " + info->name);
    }
  }
  if (!enabled) {
    info->stream.enabled = false;  // the label stays: LatestStreamArn still names it
    return;
  }
  // A new stream; its label must differ from the previous one's.
  const uint64_t now = static_cast<uint64_t>(WallClockMillis());
  info->stream = {true, *view, std::max(now, info->stream.label_ms + 1)};
}

void DescribeStreamSpecification(const OpContext& ctx, const store::TableInfo& info,
                                 json::object* t) {
  if (info.stream.enabled) {
    (*t)["StreamSpecification"] =
        json::object{{"StreamEnabled", true},
                     {"StreamViewType", store::StreamViewTypeName(info.stream.view_type)}};
  }
  if (info.stream.label_ms != 0) {
    (*t)["LatestStreamLabel"] = StreamLabel(info.stream.label_ms);
    (*t)["LatestStreamArn"] =
        StreamArn(ctx.options->region, ctx.options->account_id, info.name, info.stream.label_ms);
  }
}

}  // namespace meridian::api
