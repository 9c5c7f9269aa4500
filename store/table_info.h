// A table's definition as the catalog stores it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/attribute_value.h"

namespace meridian::store {

enum class KeyType { kS, kN, kB };

struct KeyAttribute {
  std::string name;
  KeyType type = KeyType::kS;
};

struct TableInfo {
  std::string name;
  uint32_t table_id = 0;  // assigned by the store; never reused
  KeyAttribute partition_key;
  std::optional<KeyAttribute> sort_key;
  uint64_t creation_time_ms = 0;
  std::string billing_mode = "PROVISIONED";  // or PAY_PER_REQUEST
  uint64_t read_capacity = 0;
  uint64_t write_capacity = 0;
  std::vector<std::pair<std::string, std::string>> tags;
  std::string conflict_policy = "lww";  // lww | merge
};

// Live item count and DynamoDB-sized bytes of a table.
struct TableStats {
  uint64_t item_count = 0;
  uint64_t size_bytes = 0;
};

// "S" / "N" / "B".
const char* KeyTypeName(KeyType type);
// Does `value` have the type the key attribute requires?
bool MatchesKeyType(const model::AttributeValue& value, KeyType type);

// Catalog encoding (schemas/catalog.capnp TableDescriptor).
std::string EncodeTableInfo(const TableInfo& info);
Result<TableInfo> DecodeTableInfo(std::string_view bytes);

}  // namespace meridian::store
