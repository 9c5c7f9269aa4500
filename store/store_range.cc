// Store: Range, the reads of Query and Scan. A RangeQuery in DynamoDB's terms becomes a
// [begin, end) range of item keys or index entry keys (model/key_codec.h,
// store/index_codec.h):
//  - a partition is every key starting with PartitionPrefix(id, value);
//  - a sort-key condition bounds keys by the sort key's encoding after that prefix; item
//    keys end with the unterminated sort key, index entry keys continue after its
//    terminated encoding with the table key suffix;
//  - Scan segment i of n is the partition hashes [i * 2^64 / n, (i + 1) * 2^64 / n);
//  - ExclusiveStartKey moves the start past the key it names (or the end before it).
#include <rocksdb/db.h>

#include <algorithm>

#include "model/key_codec.h"
#include "store/index_codec.h"
#include "store/item_codec.h"
#include "store/scoped_snapshot.h"
#include "store/store.h"
#include "store/store_keys.h"

namespace meridian::store {
namespace {

// The smallest key after `key` itself.
std::string Successor(std::string key) {
  key.push_back('\0');
  return key;
}

struct KeyRange {
  std::string begin, end;
};

// Keys of what is read (the table, or an index) that one partition and an optional
// sort-key condition select.
KeyRange PartitionRange(uint32_t id, bool index, const model::AttributeValue& partition,
                        const std::optional<SortKeyCondition>& sort) {
  const std::string prefix = model::PartitionPrefix(id, partition);
  KeyRange all{prefix, model::PrefixSuccessor(prefix)};
  if (!sort) return all;
  // Index entries continue after the terminated sort key, item keys end with it.
  auto enc = [&](const model::AttributeValue& v, bool terminated) {
    std::string k = prefix;
    model::AppendKeyValue(v, terminated, &k);
    return k;
  };
  // Past every key whose sort key is the encoded one.
  auto after = [&](const std::string& k) {
    return index ? model::PrefixSuccessor(k) : Successor(k);
  };
  const std::string v = enc(sort->value, index);
  using Op = SortKeyCondition::Op;
  switch (sort->op) {
    case Op::kEq: return {v, after(v)};
    case Op::kLt: return {prefix, v};
    case Op::kLe: return {prefix, after(v)};
    case Op::kGt: return {after(v), all.end};
    case Op::kGe: return {v, all.end};
    case Op::kBeginsWith: {
      const std::string stem = enc(sort->value, false);
      return {stem, model::PrefixSuccessor(stem)};
    }
    case Op::kBetween: return {v, after(enc(sort->upper, index))};
  }
  return all;
}

uint64_t SegmentStart(uint32_t segment, uint32_t total) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(segment) << 64) / total);
}

// Keys of one Scan segment of what is read.
KeyRange SegmentRange(uint32_t id, uint32_t segment, uint32_t total) {
  KeyRange range{model::TablePrefix(id), model::TablePrefix(id + 1)};
  if (total <= 1) return range;
  auto bound = [&](uint32_t i) { return model::HashRangeStart(id, SegmentStart(i, total)); };
  range.begin = bound(segment);
  if (segment + 1 < total) range.end = bound(segment + 1);
  return range;
}

const model::AttributeValue* KeyValue(const model::Item& item, const KeyAttribute& key) {
  auto it = item.find(key.name);
  return it == item.end() || !MatchesKeyType(it->second, key.type) ? nullptr : &it->second;
}

// The key an ExclusiveStartKey names.
Result<std::string> StartKey(const TableInfo& table, const IndexInfo* index,
                             const model::Item& start) {
  if (index) {
    auto key = IndexEntryKey(table, *index, start);
    if (key) return *std::move(key);
  } else if (const auto* pk = KeyValue(start, table.partition_key)) {
    const model::AttributeValue* sk = table.sort_key ? KeyValue(start, *table.sort_key) : nullptr;
    if (!table.sort_key || sk) return model::ItemKey(table.table_id, *pk, sk);
  }
  return Status::InvalidArgument(
      "The provided starting key is invalid: The provided key element does not match the "
      "schema");
}

}  // namespace

Status Store::Range(const TableInfo& table, const RangeQuery& query, const Visitor& visit) const {
  const uint32_t id = query.index ? query.index->index_id : table.table_id;
  KeyRange range = query.partition
                       ? PartitionRange(id, query.index != nullptr, *query.partition, query.sort)
                       : SegmentRange(id, query.segment, query.total_segments);
  if (query.exclusive_start) {
    auto start = StartKey(table, query.index, *query.exclusive_start);
    if (!start.ok()) return start.status();
    if (query.reverse) {
      range.end = std::min(range.end, *start);
    } else {
      range.begin = std::max(range.begin, Successor(*std::move(start)));
    }
  }
  if (range.begin >= range.end) return Status::Ok();
  if (query.index)
    return ScanIndexKeys(table, *query.index, range.begin, range.end, query.reverse, visit);
  return ScanItemKeys(table, range.begin, range.end, query.reverse, visit);
}

Status Store::ScanItemKeys(const TableInfo& table, const std::string& begin, const std::string& end,
                           bool reverse, const Visitor& visit) const {
  const std::string table_end = keys::TableBegin(table.table_id + 1);
  const std::string& upper = end.empty() ? table_end : end;
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper_slice(upper);
  const std::string lower = begin.empty() ? keys::TableBegin(table.table_id) : begin;
  rocksdb::Slice lower_slice(lower);
  ro.iterate_upper_bound = &upper_slice;
  ro.iterate_lower_bound = &lower_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, items_cf_));
  if (reverse) {
    it->SeekToLast();
  } else {
    it->Seek(lower);
  }
  for (; it->Valid(); reverse ? it->Prev() : it->Next()) {
    auto stored = DecodeStoredItem(std::string_view(it->value().data(), it->value().size()));
    if (!stored.ok()) return stored.status();
    if (stored->tombstone()) continue;
    if (!visit(stored->item())) break;
  }
  if (!it->status().ok()) return Status::IOError("scan: " + it->status().ToString());
  return Status::Ok();
}

Status Store::ScanIndexKeys(const TableInfo& table, const IndexInfo& index,
                            const std::string& begin, const std::string& end, bool reverse,
                            const Visitor& visit) const {
  const std::string lower = begin.empty() ? keys::TableBegin(index.index_id) : begin;
  const std::string upper = end.empty() ? keys::TableBegin(index.index_id + 1) : end;
  const ScopedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.get();
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  ro.iterate_lower_bound = &lower_slice;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, index_cf_));
  reverse ? it->SeekToLast() : it->Seek(lower);
  const std::string table_prefix = model::TablePrefix(table.table_id);
  rocksdb::ReadOptions get_options;
  get_options.snapshot = snapshot.get();
  for (; it->Valid(); reverse ? it->Prev() : it->Next()) {
    const std::string_view value(it->value().data(), it->value().size());
    rocksdb::PinnableSlice bytes;
    auto s = db_->Get(get_options, items_cf_,
                      table_prefix + std::string(IndexValueKeySuffix(value)), &bytes);
    if (s.IsNotFound()) continue;  // cannot happen: the entry and the item share a batch
    if (!s.ok()) return Status::IOError("index get: " + s.ToString());
    auto stored = DecodeStoredItem(std::string_view(bytes.data(), bytes.size()));
    if (!stored.ok()) return stored.status();
    if (stored->tombstone()) continue;
    if (!visit(stored->item())) break;
  }
  if (!it->status().ok()) return Status::IOError("index scan: " + it->status().ToString());
  return Status::Ok();
}

bool InScanSegment(const model::AttributeValue& pk, uint32_t segment, uint32_t total) {
  if (total <= 1) return true;
  const uint64_t hash = model::PartitionHash(pk);
  return hash >= SegmentStart(segment, total) &&
         (segment + 1 == total || hash < SegmentStart(segment + 1, total));
}

}  // namespace meridian::store
