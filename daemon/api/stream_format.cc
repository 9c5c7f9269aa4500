#include "daemon/api/stream_format.h"

#include <charconv>
#include <cstdio>
#include <ctime>

#include "common/base64.h"
#include "common/big_endian.h"
#include "daemon/api/json_codec.h"

namespace meridian::api {

namespace json = boost::json;

namespace {

// FNV-1a, 64 bits, from `seed`: digests in ids and checksums (not a security boundary).
uint64_t Fnv(std::string_view bytes, uint64_t seed = 0xcbf29ce484222325ULL) {
  uint64_t h = seed;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// splitmix64's finalizer: every input bit affects every output bit.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string Hex(uint64_t v, int digits) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%0*llx", digits, static_cast<unsigned long long>(v));
  return std::string(buf, static_cast<size_t>(digits));
}

std::optional<uint64_t> ParseDigits(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

constexpr std::string_view kArnPrefix = "arn:aws:dynamodb:";
constexpr std::string_view kIteratorVersion = "|1|";

}  // namespace

std::string StreamLabel(uint64_t label_ms) {
  const std::time_t secs = static_cast<std::time_t>(label_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03u", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(label_ms % 1000));
  return buf;
}

std::optional<uint64_t> ParseStreamLabel(std::string_view label) {
  if (label.size() != 23) return std::nullopt;
  std::tm tm{};
  unsigned ms = 0;
  char tail = 0;
  const std::string text(label);
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3u%c", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &tail) != 7) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t secs = timegm(&tm);
  if (secs < 0) return std::nullopt;
  const uint64_t label_ms = static_cast<uint64_t>(secs) * 1000 + ms;
  if (StreamLabel(label_ms) != label) return std::nullopt;  // out-of-range fields
  return label_ms;
}

std::string StreamArn(std::string_view region, std::string_view account, std::string_view table,
                      uint64_t label_ms) {
  std::string arn(kArnPrefix);
  arn.append(region).append(":").append(account).append(":table/").append(table);
  return arn + "/stream/" + StreamLabel(label_ms);
}

std::optional<StreamArnParts> ParseStreamArn(std::string_view arn) {
  if (arn.substr(0, kArnPrefix.size()) != kArnPrefix) return std::nullopt;
  const size_t table_at = arn.find(":table/");
  const size_t stream_at = arn.rfind("/stream/");
  if (table_at == std::string_view::npos || stream_at == std::string_view::npos ||
      stream_at <= table_at + 7) {
    return std::nullopt;
  }
  StreamArnParts parts;
  parts.table = std::string(arn.substr(table_at + 7, stream_at - table_at - 7));
  auto label = ParseStreamLabel(arn.substr(stream_at + 8));
  if (!label || parts.table.empty()) return std::nullopt;
  parts.label_ms = *label;
  return parts;
}

std::string ShardId(const store::StreamInfo& stream, uint64_t first_seq) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(first_seq));
  const uint64_t digest =
      Fnv(stream.table_name + "/" + std::to_string(stream.label_ms) + "/" + digits);
  return std::string("shardId-") + digits + "-" + Hex(digest & 0xffffffffULL, 8);
}

std::optional<uint64_t> ParseShardId(const store::StreamInfo& stream, std::string_view id) {
  constexpr std::string_view kPrefix = "shardId-";
  if (id.size() != kPrefix.size() + 20 + 1 + 8 || id.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  auto first = ParseDigits(id.substr(kPrefix.size(), 20));
  if (!first || ShardId(stream, *first) != id) return std::nullopt;
  return first;
}

std::string SequenceNumber(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%021llu", static_cast<unsigned long long>(seq));
  return buf;
}

std::optional<uint64_t> ParseSequenceNumber(std::string_view text) {
  while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
  return ParseDigits(text);
}

std::string EncodeShardIterator(const ShardIterator& it) {
  std::string payload = BigEndian(it.shard_first_seq, 8);
  AppendBigEndian(it.position, 8, &payload);
  AppendBigEndian(it.issued_ms, 8, &payload);
  AppendBigEndian(Fnv(payload, Fnv(it.stream_arn)), 8, &payload);
  return it.stream_arn + std::string(kIteratorVersion) + Base64Encode(payload);
}

std::optional<ShardIterator> DecodeShardIterator(std::string_view text) {
  const size_t sep = text.rfind(kIteratorVersion);
  if (sep == std::string_view::npos) return std::nullopt;
  std::string payload;
  const std::string_view encoded = text.substr(sep + kIteratorVersion.size());
  // Only the canonical encoding: no two texts name one iterator.
  if (!Base64Decode(encoded, &payload) || payload.size() != 32 || Base64Encode(payload) != encoded)
    return std::nullopt;
  ShardIterator it;
  it.stream_arn = std::string(text.substr(0, sep));
  if (ReadBigEndian(std::string_view(payload).substr(24), 8) !=
      Fnv(std::string_view(payload).substr(0, 24), Fnv(it.stream_arn))) {
    return std::nullopt;
  }
  it.shard_first_seq = ReadBigEndian(payload, 8);
  it.position = ReadBigEndian(std::string_view(payload).substr(8), 8);
  it.issued_ms = ReadBigEndian(std::string_view(payload).substr(16), 8);
  return it;
}

json::object RecordJson(const store::StreamRecord& record, const RecordContext& ctx) {
  json::object dynamodb;
  dynamodb["ApproximateCreationDateTime"] = record.time_ms / 1000;
  dynamodb["Keys"] = EncodeItem(record.keys);
  if (record.new_image) dynamodb["NewImage"] = EncodeItem(*record.new_image);
  if (record.old_image) dynamodb["OldImage"] = EncodeItem(*record.old_image);
  dynamodb["SequenceNumber"] = SequenceNumber(record.seq);
  dynamodb["SizeBytes"] = std::max<uint32_t>(record.size_bytes, 1);
  dynamodb["StreamViewType"] = store::StreamViewTypeName(ctx.stream->view_type);

  json::object out;
  const std::string id_source = std::string(ctx.region) + "/" + std::string(ctx.stream_arn) + "/" +
                                std::to_string(record.seq);
  out["eventID"] =
      Hex(Mix(Fnv(id_source)), 16) + Hex(Mix(Fnv(id_source, 0x84222325cbf29ce4ULL)), 16);
  switch (record.event) {
    case store::StreamEvent::kInsert: out["eventName"] = "INSERT"; break;
    case store::StreamEvent::kModify: out["eventName"] = "MODIFY"; break;
    case store::StreamEvent::kRemove: out["eventName"] = "REMOVE"; break;
  }
  out["eventVersion"] = "1.1";
  out["eventSource"] = "aws:dynamodb";
  out["awsRegion"] = ctx.region;
  out["dynamodb"] = std::move(dynamodb);
  if (record.ttl_expiry) {
    out["userIdentity"] =
        ctx.lambda ? json::object{{"type", "Service"}, {"principalId", "dynamodb.amazonaws.com"}}
                   : json::object{{"Type", "Service"}, {"PrincipalId", "dynamodb.amazonaws.com"}};
  }
  if (ctx.lambda) out["eventSourceARN"] = ctx.stream_arn;
  return out;
}

}  // namespace meridian::api
