#include "daemon/api/capacity.h"

#include <boost/json.hpp>

#include "daemon/api/request.h"

namespace meridian::api {
namespace json = boost::json;

namespace {

constexpr size_t kReadUnitBytes = 4096;
constexpr size_t kWriteUnitBytes = 1024;

double Units(size_t bytes, size_t unit) {
  const size_t units = (bytes + unit - 1) / unit;
  return static_cast<double>(units == 0 ? 1 : units);
}

size_t SizeOf(const std::optional<model::Item>& item) {
  return item ? model::ItemByteSize(*item) : 0;
}

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

json::object ConsumedCapacity(CapacityMode mode, const std::string& table, double units) {
  json::object out;
  out["TableName"] = table;
  out["CapacityUnits"] = units;
  if (mode == CapacityMode::kIndexes) out["Table"] = json::object{{"CapacityUnits", units}};
  return out;
}

void AddConsumedCapacity(json::object* out, CapacityMode mode, const std::string& table,
                         double units) {
  if (mode != CapacityMode::kNone)
    (*out)["ConsumedCapacity"] = ConsumedCapacity(mode, table, units);
}

}  // namespace meridian::api
