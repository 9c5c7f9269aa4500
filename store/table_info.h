// A table's definition as the catalog stores it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "conflict/item_version.h"
#include "model/attribute_value.h"

namespace meridian::store {

enum class KeyType { kS, kN, kB };

// DynamoDB's BillingMode.
enum class BillingMode { kProvisioned, kPayPerRequest };
// What a secondary index holds of an item besides the key attributes.
enum class ProjectionType { kAll, kKeysOnly, kInclude };
// What a DynamoDB stream record holds of the item (StreamViewType).
enum class StreamViewType { kKeysOnly, kNewImage, kOldImage, kNewAndOldImages };

// "PROVISIONED" / "PAY_PER_REQUEST"; nullopt for any other name.
const char* BillingModeName(BillingMode mode);
std::optional<BillingMode> ParseBillingMode(std::string_view name);
// "ALL" / "KEYS_ONLY" / "INCLUDE"; nullopt for any other name.
const char* ProjectionTypeName(ProjectionType type);
std::optional<ProjectionType> ParseProjectionType(std::string_view name);
// "KEYS_ONLY" / "NEW_IMAGE" / "OLD_IMAGE" / "NEW_AND_OLD_IMAGES"; nullopt for any other name.
const char* StreamViewTypeName(StreamViewType type);
std::optional<StreamViewType> ParseStreamViewType(std::string_view name);

struct KeyAttribute {
  std::string name;
  KeyType type = KeyType::kS;
};

// When provisioned throughput last went up and down (DescribeTable's LastIncreaseDateTime,
// LastDecreaseDateTime, NumberOfDecreasesToday); the API enforces DynamoDB's decrease limit.
struct ThroughputChanges {
  uint64_t last_increase_ms = 0;
  uint64_t last_decrease_ms = 0;
  uint32_t decreases_today = 0;  // in the UTC day of last_decrease_ms

  // Decreases in the UTC day of `now_ms`.
  uint32_t DecreasesOn(uint64_t now_ms) const {
    constexpr uint64_t kDayMs = 86'400'000;
    return last_decrease_ms / kDayMs == now_ms / kDayMs ? decreases_today : 0;
  }
};

// A secondary index (DynamoDB GSI or LSI). Items lacking an index key attribute, or holding
// it with another type, have no entry in the index.
struct IndexInfo {
  std::string name;
  bool local = false;     // LSI: same partition key as the table, created with it
  uint32_t index_id = 0;  // assigned by the store from the table-id space; local to a region
  KeyAttribute partition_key;
  std::optional<KeyAttribute> sort_key;
  ProjectionType projection_type = ProjectionType::kAll;
  std::vector<std::string> non_key_attributes;  // INCLUDE
  uint64_t read_capacity = 0;                   // GSIs of PROVISIONED tables
  uint64_t write_capacity = 0;
  ThroughputChanges throughput;

  // Same keys and projection (an index of that name re-created differently is a new index).
  bool SameShape(const IndexInfo& other) const;
};

struct TableInfo {
  std::string name;
  uint32_t table_id = 0;  // assigned by the store; never reused
  KeyAttribute partition_key;
  std::optional<KeyAttribute> sort_key;
  uint64_t creation_time_ms = 0;
  BillingMode billing_mode = BillingMode::kProvisioned;
  uint64_t read_capacity = 0;
  uint64_t write_capacity = 0;
  ThroughputChanges throughput;
  std::vector<std::pair<std::string, std::string>> tags;
  conflict::ConflictPolicy conflict_policy = conflict::ConflictPolicy::kLww;
  // Where the table lives (DynamoDB global tables, version 2019.11.21): in every region of
  // the cluster, or in the listed regions. A region outside the set keeps the definition
  // but no items, and its API does not show the table.
  bool all_regions = false;
  struct Replica {
    std::string region;
    uint32_t added_origin = 0;  // the change that added the replica (0: at creation)
    uint64_t added_seq = 0;
  };
  std::vector<Replica> replicas;
  // Definition changes are last-writer-wins across regions on (update_hlc, update_origin).
  uint64_t update_hlc = 0;
  uint32_t update_origin = 0;
  std::vector<IndexInfo> indexes;  // GSIs and LSIs, in creation order
  // StreamSpecification. Each enabling starts a new stream, labelled with the time it was
  // enabled (the same label in every region; docs/streams.md). 0: never enabled.
  struct Stream {
    bool enabled = false;
    StreamViewType view_type = StreamViewType::kNewAndOldImages;
    uint64_t label_ms = 0;
  };
  Stream stream;
  // TimeToLiveSpecification: items whose `ttl_attribute` (a Number, epoch seconds) has
  // passed are deleted by the TTL sweeper of every region.
  bool ttl_enabled = false;
  std::string ttl_attribute;

  const IndexInfo* FindIndex(std::string_view index_name) const;
  bool HostedIn(std::string_view region) const;
  const Replica* FindReplica(std::string_view region) const;
};

// Live item count and DynamoDB-sized bytes of a table.
struct TableStats {
  uint64_t item_count = 0;
  uint64_t size_bytes = 0;
};

// "S" / "N" / "B"; nullopt for any other name.
const char* KeyTypeName(KeyType type);
std::optional<KeyType> ParseKeyType(std::string_view name);
// Does `value` have the type the key attribute requires?
bool MatchesKeyType(const model::AttributeValue& value, KeyType type);

// DynamoDB's key size limits (bytes of the string, number or binary value).
constexpr size_t kMaxPartitionKeyBytes = 2048;
constexpr size_t kMaxSortKeyBytes = 1024;
// Can `value` be a key of this type: the type, not an empty string or binary, within the
// size limit of a partition (`partition`) or sort key?
bool ValidKeyValue(const model::AttributeValue& value, KeyType type, bool partition);

// Catalog encoding (schemas/catalog.capnp TableDescriptor).
std::string EncodeTableInfo(const TableInfo& info);
Result<TableInfo> DecodeTableInfo(std::string_view bytes);

}  // namespace meridian::store
