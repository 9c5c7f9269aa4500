// Secondary indexes: entry-key encoding and projections (index_codec.h), and their
// maintenance by the store: local writes, UpdateTable backfills, drops, restarts and
// replicated changes from another region.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "model/key_codec.h"
#include "store/index_codec.h"
#include "store/store.h"

namespace meridian::store {
namespace {

using model::AttributeValue;
using model::Item;

AttributeValue Num(const char* s) { return AttributeValue::N(*model::Number::Parse(s)); }
AttributeValue Str(const char* s) { return AttributeValue::S(s); }

TableInfo OrdersTable() {
  TableInfo table;
  table.name = "orders";
  table.table_id = 7;
  table.partition_key = {"pk", KeyType::kS};
  table.sort_key = KeyAttribute{"sk", KeyType::kS};
  table.all_regions = true;
  IndexInfo by_status;
  by_status.name = "by_status";
  by_status.index_id = 9;
  by_status.partition_key = {"status", KeyType::kS};
  by_status.sort_key = KeyAttribute{"amount", KeyType::kN};
  by_status.projection_type = ProjectionType::kInclude;
  by_status.non_key_attributes = {"note"};
  table.indexes.push_back(by_status);
  return table;
}

Item Order(const char* pk, const char* sk, const char* status, const char* amount) {
  return Item{{"pk", Str(pk)},         {"sk", Str(sk)},    {"status", Str(status)},
              {"amount", Num(amount)}, {"note", Str("n")}, {"other", Str("o")}};
}

TEST(IndexCodecTest, ItemsWithoutIndexKeysHaveNoEntry) {
  const TableInfo table = OrdersTable();
  const IndexInfo& index = table.indexes[0];
  Item item = Order("p", "s", "open", "5");
  EXPECT_TRUE(IndexEntryKey(table, index, item).has_value());
  item.erase("amount");
  EXPECT_FALSE(IndexEntryKey(table, index, item).has_value());
  item["amount"] = Str("5");  // the wrong type
  EXPECT_FALSE(IndexEntryKey(table, index, item).has_value());
  item = Order("p", "s", "open", "5");
  item.erase("sk");  // the table key is part of the entry
  EXPECT_FALSE(IndexEntryKey(table, index, item).has_value());
}

TEST(IndexCodecTest, EntriesSortByIndexKeyWithinAPartition) {
  const TableInfo table = OrdersTable();
  const IndexInfo& index = table.indexes[0];
  const std::string prefix = model::PartitionPrefix(index.index_id, Str("open"));
  std::vector<std::string> keys;
  for (const char* amount : {"-100", "-2.5", "0", "0.001", "3", "10", "1e30"}) {
    auto key = IndexEntryKey(table, index, Order("z", "y", "open", amount));
    ASSERT_TRUE(key);
    EXPECT_EQ(key->compare(0, prefix.size(), prefix), 0);
    keys.push_back(*key);
  }
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  // Equal index keys stay distinct entries, told apart by the table key that follows.
  EXPECT_NE(*IndexEntryKey(table, index, Order("a", "1", "open", "3")),
            *IndexEntryKey(table, index, Order("a", "2", "open", "3")));
}

TEST(IndexCodecTest, StringSortKeyPrefixesBoundBeginsWith) {
  TableInfo table = OrdersTable();
  IndexInfo& index = table.indexes[0];
  index.sort_key = KeyAttribute{"note", KeyType::kS};
  std::string stem = model::PartitionPrefix(index.index_id, Str("open"));
  model::AppendKeyValue(Str("ab"), /*terminated=*/false, &stem);
  Item item = Order("p", "s", "open", "1");
  for (const std::string& note : {std::string("ab"), std::string("abc"), std::string("ab\0x", 4)}) {
    item["note"] = AttributeValue::S(note);
    EXPECT_EQ(IndexEntryKey(table, index, item)->compare(0, stem.size(), stem), 0) << note;
  }
  item["note"] = Str("b");
  EXPECT_NE(IndexEntryKey(table, index, item)->compare(0, stem.size(), stem), 0);
}

TEST(IndexCodecTest, ProjectionKeepsKeysAndIncludedAttributes) {
  TableInfo table = OrdersTable();
  const Item item = Order("p", "s", "open", "5");
  Item projected = ProjectForIndex(table, table.indexes[0], item);
  EXPECT_EQ(projected.size(), 5u);
  EXPECT_FALSE(projected.count("other"));
  table.indexes[0].projection_type = ProjectionType::kKeysOnly;
  table.indexes[0].non_key_attributes.clear();
  EXPECT_EQ(ProjectForIndex(table, table.indexes[0], item).size(), 4u);
  table.indexes[0].projection_type = ProjectionType::kAll;
  EXPECT_EQ(ProjectForIndex(table, table.indexes[0], item), item);
  EXPECT_EQ(IndexValueSize(EncodeIndexValue(42, "suffix")), 42u);
  EXPECT_EQ(IndexValueKeySuffix(EncodeIndexValue(42, "suffix")), "suffix");
}

TEST(IndexCodecTest, DefinitionsRoundTripThroughTheCatalog) {
  const TableInfo table = OrdersTable();
  auto decoded = DecodeTableInfo(EncodeTableInfo(table));
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->indexes.size(), 1u);
  EXPECT_TRUE(decoded->indexes[0].SameShape(table.indexes[0]));
  EXPECT_EQ(decoded->indexes[0].index_id, 9u);
  EXPECT_EQ(decoded->FindIndex("by_status")->name, "by_status");
}

// A store in a temporary directory (one per region of a test).
class TempStore {
 public:
  TempStore(const char* region, conflict::RegionId id)
      : dir_(std::filesystem::temp_directory_path() /
             ("meridian_index_" + std::to_string(::getpid()) + "_" + region)) {
    std::filesystem::remove_all(dir_);
    options_.path = dir_.string();
    options_.region = region;
    options_.region_id = id;
    options_.block_cache_mb = 8;
    Reopen();
  }
  ~TempStore() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    store_ = std::move(Store::Open(options_).value());
  }
  Store* operator->() { return store_.get(); }
  std::shared_ptr<const TableInfo> table() { return *store_->GetTable("orders"); }

  void Put(const Item& item) {
    ASSERT_TRUE(
        store_
            ->WriteItem(*table(), item.at("pk"), &item.at("sk"),
                        [&](const Item*) -> Result<Mutation> { return Mutation::Put(item); })
            .ok());
  }
  void Delete(const char* pk, const char* sk) {
    const AttributeValue sort_key = Str(sk);
    ASSERT_TRUE(store_
                    ->WriteItem(*table(), Str(pk), &sort_key,
                                [&](const Item*) -> Result<Mutation> { return Mutation::Delete(); })
                    .ok());
  }
  static RangeQuery IndexRange(const TableInfo& t, const char* index_name) {
    RangeQuery range;
    range.index = t.FindIndex(index_name);
    return range;
  }
  // The sort keys of the items the index lists, in index order.
  std::vector<std::string> IndexedSortKeys(const char* index_name) {
    auto t = table();
    std::vector<std::string> out;
    EXPECT_TRUE(store_
                    ->Range(*t, IndexRange(*t, index_name),
                            [&](const Item& item) {
                              out.push_back(item.at("sk").s());
                              return true;
                            })
                    .ok());
    return out;
  }
  void WaitBackfilled(const char* index_name) {
    for (int i = 0; i < 500 && store_->IndexBackfilling(table()->FindIndex(index_name)->index_id);
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_FALSE(store_->IndexBackfilling(table()->FindIndex(index_name)->index_id));
  }

 private:
  std::filesystem::path dir_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

TEST(StoreIndexTest, WritesMaintainEntriesAndCounts) {
  TempStore s("a", 1);
  ASSERT_TRUE(s->CreateTable(OrdersTable()).ok());
  s.Put(Order("p", "1", "open", "30"));
  s.Put(Order("p", "2", "open", "10"));
  s.Put(Order("q", "3", "open", "20"));
  EXPECT_EQ(s.IndexedSortKeys("by_status"), (std::vector<std::string>{"2", "3", "1"}));
  s.Put(Order("p", "2", "open", "40"));  // the index key changes: the old entry goes
  Item no_status = Order("q", "3", "open", "20");
  no_status.erase("status");
  s.Put(no_status);
  s.Delete("p", "1");
  EXPECT_EQ(s.IndexedSortKeys("by_status"), (std::vector<std::string>{"2"}));
  EXPECT_EQ(s->GetTableStats(s.table()->indexes[0].index_id).item_count, 1u);
  s.Reopen();
  EXPECT_EQ(s.IndexedSortKeys("by_status"), (std::vector<std::string>{"2"}));
  EXPECT_EQ(s->GetTableStats(s.table()->indexes[0].index_id).item_count, 1u);
}

// UpdateTable adding OrdersTable's index (with a fresh id) to the store's table.
void AddOrdersIndex(TempStore& s) {
  ASSERT_TRUE(s->UpdateTable("orders", [](TableInfo* t) {
                 t->indexes = OrdersTable().indexes;
                 t->indexes[0].index_id = 0;
                 return Status::Ok();
               }).ok());
}

TEST(StoreIndexTest, AddedIndexIsBackfilledAndDroppedIndexEmptied) {
  TempStore s("a", 1);
  TableInfo plain = OrdersTable();
  plain.indexes.clear();
  ASSERT_TRUE(s->CreateTable(plain).ok());
  for (int i = 0; i < 600; ++i) {
    s.Put(Order("p", std::to_string(1000 + i).c_str(), i % 2 ? "open" : "closed", "1"));
  }
  AddOrdersIndex(s);
  s.WaitBackfilled("by_status");
  EXPECT_EQ(s.IndexedSortKeys("by_status").size(), 600u);
  EXPECT_EQ(s->GetTableStats(s.table()->indexes[0].index_id).item_count, 600u);
  const uint32_t dropped = s.table()->indexes[0].index_id;
  ASSERT_TRUE(s->UpdateTable("orders", [](TableInfo* t) {
                 t->indexes.clear();
                 return Status::Ok();
               }).ok());
  EXPECT_EQ(s->GetTableStats(dropped).item_count, 0u);
  // Re-created under the same name: a new, refilled index without stale entries.
  s.Delete("p", "1000");
  AddOrdersIndex(s);
  s.WaitBackfilled("by_status");
  EXPECT_NE(s.table()->indexes[0].index_id, dropped);
  EXPECT_EQ(s.IndexedSortKeys("by_status").size(), 599u);
}

TEST(StoreIndexTest, ReplicatedChangesMaintainTheReceiversIndexes) {
  TempStore a("a", 1), b("b", 2);
  ASSERT_TRUE(a->CreateTable(OrdersTable()).ok());
  a.Put(Order("p", "1", "open", "1"));
  a.Put(Order("p", "2", "open", "2"));
  a.Put(Order("p", "2", "closed", "2"));
  auto ship = [&] {
    std::vector<std::string> changes;
    ASSERT_TRUE(a->ReadLog(1, b->AppliedVector().Get(1) + 1, 1000, 1 << 20, &changes).ok());
    ASSERT_TRUE(b->ApplyRemoteChanges(changes).ok());
  };
  ship();
  ASSERT_EQ(b.table()->indexes.size(), 1u);
  auto both = b.IndexedSortKeys("by_status");  // two partitions, in hash order
  std::sort(both.begin(), both.end());
  EXPECT_EQ(both, (std::vector<std::string>{"1", "2"}));
  a.Delete("p", "2");
  ship();
  EXPECT_EQ(b.IndexedSortKeys("by_status"), (std::vector<std::string>{"1"}));
  ASSERT_TRUE(a->DeleteTable("orders").ok());
  ship();
  EXPECT_FALSE(b->GetTable("orders").ok());
}

}  // namespace
}  // namespace meridian::store
