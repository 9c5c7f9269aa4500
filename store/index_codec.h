// Keys and projections of secondary-index entries (docs/design.md section 2, "indexes").
//
//   entry key = index_id (4 bytes BE) | hash64(ipk) (8) | enc(ipk, terminated)
//               | enc(isk, terminated) (when the index has a sort key) | table key suffix
//   value     = projected size (8 bytes BE) | table key suffix
//
// The table key suffix is the item key without its table id (hash64(pk) | enc(pk) | enc(sk)),
// so entries with equal index keys stay distinct and the value leads back to the item. The
// index sort key is terminated because the table key follows it: an index Query therefore
// bounds "isk = v" by the prefix ... | enc(v, terminated), and begins_with(isk, v) by the
// unterminated enc(v), which is a prefix of the terminated encoding of every extension of v.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/attribute_value.h"
#include "store/table_info.h"

namespace meridian::store {

// The entry key of `item` in `index`, or nullopt when the item lacks an index key attribute
// or holds a value that cannot be one (another type, empty, over the key size limits). `item` needs
// the table's key attributes (a full item, or an ExclusiveStartKey).
std::optional<std::string> IndexEntryKey(const TableInfo& table, const IndexInfo& index,
                                         const model::Item& item);

// What the index holds of `item`: the table and index key attributes plus the projected
// non-key attributes (everything for ALL).
model::Item ProjectForIndex(const TableInfo& table, const IndexInfo& index,
                            const model::Item& item);

// Does the index hold attribute `name` (a key attribute or a projected one)?
bool IndexProjects(const TableInfo& table, const IndexInfo& index, std::string_view name);

// Entry value: the projected size, then the table key suffix.
std::string EncodeIndexValue(uint64_t projected_size, std::string_view table_key_suffix);
// REQUIRES: `value` came from EncodeIndexValue.
uint64_t IndexValueSize(std::string_view value);
std::string_view IndexValueKeySuffix(std::string_view value);

}  // namespace meridian::store
