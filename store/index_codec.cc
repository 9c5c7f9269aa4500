#include "store/index_codec.h"

#include <algorithm>

#include "model/key_codec.h"
#include "store/store_keys.h"

namespace meridian::store {
namespace {

const model::AttributeValue* KeyValue(const model::Item& item, const KeyAttribute& key) {
  auto it = item.find(key.name);
  if (it == item.end() || !MatchesKeyType(it->second, key.type)) return nullptr;
  return &it->second;
}

// An index key value; an item whose value could not be a key (empty, too large: written
// before the index existed) is left out of the index, as DynamoDB's backfill skips it.
const model::AttributeValue* IndexKeyValue(const model::Item& item, const KeyAttribute& key,
                                           bool partition) {
  auto it = item.find(key.name);
  if (it == item.end() || !ValidKeyValue(it->second, key.type, partition)) return nullptr;
  return &it->second;
}

}  // namespace

std::optional<std::string> IndexEntryKey(const TableInfo& table, const IndexInfo& index,
                                         const model::Item& item) {
  const model::AttributeValue* ipk = IndexKeyValue(item, index.partition_key, true);
  const model::AttributeValue* isk =
      index.sort_key ? IndexKeyValue(item, *index.sort_key, false) : nullptr;
  const model::AttributeValue* tpk = KeyValue(item, table.partition_key);
  const model::AttributeValue* tsk = table.sort_key ? KeyValue(item, *table.sort_key) : nullptr;
  if (!ipk || (index.sort_key && !isk) || !tpk || (table.sort_key && !tsk)) return std::nullopt;
  std::string key = model::PartitionPrefix(index.index_id, *ipk);
  if (isk) model::AppendKeyValue(*isk, /*terminated=*/true, &key);
  key += model::KeySuffix(model::ItemKey(0, *tpk, tsk));
  return key;
}

bool IndexProjects(const TableInfo& table, const IndexInfo& index, std::string_view name) {
  if (index.projection_type == ProjectionType::kAll) return true;
  if (name == table.partition_key.name || name == index.partition_key.name) return true;
  if (table.sort_key && name == table.sort_key->name) return true;
  if (index.sort_key && name == index.sort_key->name) return true;
  return index.projection_type == ProjectionType::kInclude &&
         std::find(index.non_key_attributes.begin(), index.non_key_attributes.end(), name) !=
             index.non_key_attributes.end();
}

model::Item ProjectForIndex(const TableInfo& table, const IndexInfo& index,
                            const model::Item& item) {
  if (index.projection_type == ProjectionType::kAll) return item;
  model::Item out;
  for (const auto& [name, value] : item) {
    if (IndexProjects(table, index, name)) out.emplace(name, value);
  }
  return out;
}

std::string EncodeIndexValue(uint64_t projected_size, std::string_view table_key_suffix) {
  return keys::EncodeU64(projected_size) + std::string(table_key_suffix);
}

uint64_t IndexValueSize(std::string_view value) { return keys::DecodeU64(value); }

std::string_view IndexValueKeySuffix(std::string_view value) { return value.substr(8); }

}  // namespace meridian::store
