#include "daemon/api/capacity.h"

#include <boost/json.hpp>
#include <utility>

#include "daemon/api/api_error.h"
#include "daemon/api/json_codec.h"
#include "daemon/api/request.h"
#include "model/key_codec.h"
#include "store/index_codec.h"

namespace meridian::api {
namespace json = boost::json;

namespace {

constexpr size_t kReadUnitBytes = 4096;
constexpr size_t kWriteUnitBytes = 1024;

double Units(size_t bytes, size_t unit) {
  const size_t units = (bytes + unit - 1) / unit;
  return static_cast<double>(units == 0 ? 1 : units);
}

size_t SizeOf(const store::ItemView& item) { return item.ByteSize(); }

}  // namespace

CapacityMode ParseCapacityMode(const json::object& req) {
  ConstraintErrors errors;
  CapacityMode mode = CapacityMode::kNone;
  if (auto rcc = OptionalString(req, "ReturnConsumedCapacity")) {
    if (*rcc == "TOTAL") {
      mode = CapacityMode::kTotal;
    } else if (*rcc == "INDEXES") {
      mode = CapacityMode::kIndexes;
    } else if (*rcc != "NONE") {
      errors.Add("'" + *rcc + "'", "returnConsumedCapacity",
                 "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]");
    }
  }
  if (auto metrics = OptionalString(req, "ReturnItemCollectionMetrics")) {
    if (*metrics != "SIZE" && *metrics != "NONE") {
      errors.Add("'" + *metrics + "'", "returnItemCollectionMetrics",
                 "Member must satisfy enum value set: [SIZE, NONE]");
    }
  }
  errors.ThrowIfAny();
  return mode;
}

double ReadUnits(size_t bytes, bool consistent_read) {
  const double units = Units(bytes, kReadUnitBytes);
  return consistent_read ? units : units / 2;
}

double WriteUnits(size_t bytes) { return Units(bytes, kWriteUnitBytes); }

size_t WrittenBytes(const store::WriteResult& written) {
  return std::max(SizeOf(written.old_item), SizeOf(written.new_item));
}

double Consumed::Total() const {
  double total = table;
  for (const auto& [name, units] : global_indexes) total += units;
  for (const auto& [name, units] : local_indexes) total += units;
  return total;
}

void Consumed::Add(const Consumed& other) {
  table += other.table;
  for (const auto& [name, units] : other.global_indexes) global_indexes[name] += units;
  for (const auto& [name, units] : other.local_indexes) local_indexes[name] += units;
}

Consumed ReadConsumed(const store::IndexInfo* index, double units) {
  Consumed out;
  if (!index) {
    out.table = units;
  } else {
    (index->local ? out.local_indexes : out.global_indexes)[index->name] = units;
  }
  return out;
}

Consumed WriteConsumed(const store::TableInfo& table, const store::WriteResult& written) {
  Consumed out;
  out.table = WriteUnits(WrittenBytes(written));
  for (const auto& index : table.indexes) {
    auto entry =
        [&](const store::ItemView& item) -> std::optional<std::pair<std::string, model::Item>> {
      if (!item) return std::nullopt;
      auto key = store::IndexEntryKey(table, index, *item);
      if (!key) return std::nullopt;
      return std::pair(std::move(*key), store::ProjectForIndex(table, index, *item));
    };
    const auto before = entry(written.old_item);
    const auto after = entry(written.new_item);
    double units = 0;
    if (before && after && before->first == after->first) {
      if (before->second != after->second) {
        units = WriteUnits(
            std::max(model::ItemByteSize(before->second), model::ItemByteSize(after->second)));
      }
    } else {
      if (before) units += WriteUnits(model::ItemByteSize(before->second));
      if (after) units += WriteUnits(model::ItemByteSize(after->second));
    }
    if (units > 0) (index.local ? out.local_indexes : out.global_indexes)[index.name] = units;
  }
  return out;
}

json::object ConsumedCapacity(CapacityMode mode, const std::string& table, const Consumed& consumed,
                              const char* units_member) {
  auto units_of = [&](double units) {
    json::object o{{"CapacityUnits", units}};
    if (units_member) o[units_member] = units;
    return o;
  };
  json::object out = units_of(consumed.Total());
  out["TableName"] = table;
  if (mode == CapacityMode::kIndexes) {
    out["Table"] = units_of(consumed.table);
    auto add = [&](const char* member, const std::map<std::string, double>& indexes) {
      if (indexes.empty()) return;
      json::object map;
      for (const auto& [name, units] : indexes) map[name] = units_of(units);
      out[member] = std::move(map);
    };
    add("GlobalSecondaryIndexes", consumed.global_indexes);
    add("LocalSecondaryIndexes", consumed.local_indexes);
  }
  return out;
}

void AddConsumedCapacity(json::object* out, CapacityMode mode, const std::string& table,
                         const Consumed& consumed) {
  RecordConsumed(table, consumed, false);
  if (mode != CapacityMode::kNone)
    (*out)["ConsumedCapacity"] = ConsumedCapacity(mode, table, consumed);
}

void AddWriteCapacity(json::object* out, CapacityMode mode, const store::TableInfo& table,
                      const store::WriteResult& written) {
  const Consumed consumed = WriteConsumed(table, written);
  RecordConsumed(table.name, consumed, true);
  if (mode != CapacityMode::kNone)
    (*out)["ConsumedCapacity"] = ConsumedCapacity(mode, table.name, consumed);
}

namespace {
thread_local std::vector<TableUsage> usage;
}  // namespace

void RecordUsage(const std::string& table, double read_units, double write_units) {
  for (auto& u : usage) {
    if (u.table == table) {
      u.read_units += read_units;
      u.write_units += write_units;
      return;
    }
  }
  usage.push_back(TableUsage{table, read_units, write_units});
}

std::vector<TableUsage> TakeUsage() { return std::exchange(usage, {}); }

namespace {
thread_local std::vector<CapacityCharge> charges;
}  // namespace

void RecordConsumed(const std::string& table, const Consumed& consumed, bool write) {
  const double total = consumed.Total();
  RecordUsage(table, write ? 0 : total, write ? total : 0);
  auto charge = [&](const std::string& index, double units) {
    if (units <= 0) return;
    charges.push_back(CapacityCharge{table, index, write ? 0 : units, write ? units : 0});
  };
  double table_units = consumed.table;
  for (const auto& [name, units] : consumed.local_indexes) table_units += units;
  charge("", table_units);
  for (const auto& [name, units] : consumed.global_indexes) charge(name, units);
}

std::vector<CapacityCharge> TakeCharges() { return std::exchange(charges, {}); }

bool WantsItemCollectionMetrics(const json::object& req) {
  auto metrics = OptionalString(req, "ReturnItemCollectionMetrics");
  return metrics && *metrics == "SIZE";
}

json::value ItemCollectionMetrics(const store::Store& store, const store::TableInfo& table,
                                  const model::AttributeValue& pk) {
  std::vector<const store::IndexInfo*> local;
  for (const auto& index : table.indexes) {
    if (index.local) local.push_back(&index);
  }
  if (local.empty()) return nullptr;
  // The collection as it is now: its items and their local index entries. DynamoDB gives
  // a range of whole gigabytes the size falls in ([0, 1] for anything under 1 GB).
  size_t bytes = 0;
  store::RangeQuery collection;
  collection.partition = pk;
  ThrowIfError(store.Range(table, collection, [&](const model::Item& item) {
    bytes += model::ItemByteSize(item);
    for (const auto* index : local) {
      if (store::IndexEntryKey(table, *index, item)) {
        bytes += model::ItemByteSize(store::ProjectForIndex(table, *index, item));
      }
    }
    return true;
  }));
  const double gb = static_cast<double>(bytes >> 30);  // whole gigabytes
  json::object out;
  out["ItemCollectionKey"] = json::object{{table.partition_key.name, EncodeAttributeValue(pk)}};
  out["SizeEstimateRangeGB"] = json::array{gb, gb + 1};
  return out;
}

void AddItemCollectionMetrics(const store::Store& store, const json::object& req,
                              const store::TableInfo& table, const model::AttributeValue& pk,
                              json::object* out) {
  if (!WantsItemCollectionMetrics(req)) return;
  json::value metrics = ItemCollectionMetrics(store, table, pk);
  if (!metrics.is_null()) (*out)["ItemCollectionMetrics"] = std::move(metrics);
}

}  // namespace meridian::api
