// Two and three stores exchanging their change logs directly (no network): convergence of
// lww and merge tables, table DDL replication, duplicates, gaps, relays and restarts.
#include <gtest/gtest.h>

#include <filesystem>

#include "store/store.h"

namespace meridian::store {
namespace {

using model::AttributeValue;
using model::Item;

model::Number N(const char* s) { return *model::Number::Parse(s); }

class Region {
 public:
  Region(const std::string& name, conflict::RegionId id) : name_(name), id_(id) {
    dir_ = std::filesystem::temp_directory_path() /
           ("meridian_repl_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::remove_all(dir_);
    Open();
  }
  ~Region() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    store_.reset();
    StoreOptions o;
    o.path = dir_.string();
    o.region = name_;
    o.region_id = id_;
    o.block_cache_mb = 8;
    store_ = std::move(Store::Open(o).value());
  }
  Store& operator*() { return *store_; }
  Store* operator->() { return store_.get(); }
  conflict::RegionId id() const { return id_; }

 private:
  std::string name_;
  conflict::RegionId id_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

// Ships every change of `origin` that `to` lacks, reading them from `from`.
RemoteApplyStats Ship(Region& from, Region& to, conflict::RegionId origin) {
  std::vector<std::string> changes;
  const uint64_t next = to->AppliedVector().Get(origin) + 1;
  EXPECT_TRUE(from->ReadLog(origin, next, 10000, 64 << 20, &changes).ok());
  auto stats = to->ApplyRemoteChanges(changes);
  EXPECT_TRUE(stats.ok()) << stats.status().ToString();
  return stats.ok() ? *stats : RemoteApplyStats{};
}

std::shared_ptr<const TableInfo> Table(Region& r, const char* name) {
  auto t = r->GetTable(name);
  EXPECT_TRUE(t.ok()) << name;
  return t.ok() ? *t : nullptr;
}

void Put(Region& r, const char* table, Item item) {
  auto t = Table(r, table);
  ASSERT_TRUE(r->WriteItem(*t, item.at("pk"), nullptr, [&](const Item*) -> Result<Mutation> {
                 return Mutation::Put(item);
               }).ok());
}

void Add(Region& r, const char* table, const char* pk, const char* attr, const char* delta) {
  auto t = Table(r, table);
  Item key{{"pk", AttributeValue::S(pk)}};
  ASSERT_TRUE(r->WriteItem(*t, key.at("pk"), nullptr, [&](const Item* cur) -> Result<Mutation> {
                 Item next = cur ? *cur : key;
                 auto it = next.find(attr);
                 model::Number base = it == next.end() ? model::Number() : it->second.n();
                 next[attr] = AttributeValue::N(*base.Add(N(delta)));
                 return Mutation{Mutation::Kind::kUpdate,
                                 next,
                                 {conflict::AttributeOp::CounterAdd(attr, N(delta))},
                                 key};
               }).ok());
}

std::optional<Item> Get(Region& r, const char* table, const char* pk) {
  auto t = Table(r, table);
  return *r->GetItem(*t, AttributeValue::S(pk), nullptr);
}

void CreateTable(Region& r, const char* name, const char* policy) {
  TableInfo info;
  info.name = name;
  info.partition_key = {"pk", KeyType::kS};
  info.all_regions = true;  // --global-tables
  info.conflict_policy = *conflict::ParsePolicy(policy);
  ASSERT_TRUE(r->CreateTable(info).ok());
}

TEST(StoreReplicationTest, TablesReplicateAndConcurrentCountersSum) {
  Region a("a", 1), b("b", 2);
  CreateTable(a, "counters", "merge");
  Ship(a, b, 1);
  ASSERT_TRUE(b->GetTable("counters").ok());

  for (int i = 0; i < 3; ++i) Add(a, "counters", "c", "n", "5");
  for (int i = 0; i < 4; ++i) Add(b, "counters", "c", "n", "-1.5");
  auto ab = Ship(a, b, 1);
  auto ba = Ship(b, a, 2);
  EXPECT_EQ(ab.applied, 3u);
  EXPECT_EQ(ba.applied, 4u);
  EXPECT_GE(ab.merged + ba.merged, 1u);
  EXPECT_EQ(Get(a, "counters", "c")->at("n").n().ToString(), "9");
  EXPECT_EQ(Get(b, "counters", "c")->at("n").n().ToString(), "9");
  EXPECT_EQ(a->Digest(*Table(a, "counters"))->hash, b->Digest(*Table(b, "counters"))->hash);
  EXPECT_GE(a->conflicts_total() + b->conflicts_total(), 1u);
}

TEST(StoreReplicationTest, LwwConvergesOnOneWinnerAndDeletesTakePart) {
  Region a("a", 1), b("b", 2);
  CreateTable(a, "t", "lww");
  Ship(a, b, 1);
  Put(a, "t", {{"pk", AttributeValue::S("x")}, {"v", AttributeValue::S("from-a")}});
  Put(b, "t", {{"pk", AttributeValue::S("x")}, {"v", AttributeValue::S("from-b")}});
  Put(a, "t", {{"pk", AttributeValue::S("gone")}});
  Ship(a, b, 1);
  Ship(b, a, 2);
  auto va = Get(a, "t", "x"), vb = Get(b, "t", "x");
  ASSERT_TRUE(va && vb);
  EXPECT_EQ(*va, *vb);
  // A delete is a versioned tombstone: it replicates and converges like a write.
  auto t = Table(b, "t");
  ASSERT_TRUE(
      b->WriteItem(*t, AttributeValue::S("gone"), nullptr, [](const Item*) -> Result<Mutation> {
         return Mutation::Delete();
       }).ok());
  Ship(b, a, 2);
  EXPECT_FALSE(Get(a, "t", "gone").has_value());
  auto da = a->Digest(*Table(a, "t")), db = b->Digest(*Table(b, "t"));
  EXPECT_EQ(da->hash, db->hash);
  EXPECT_EQ(da->items, 1u);
  EXPECT_EQ(da->tombstones, 1u);
}

TEST(StoreReplicationTest, DuplicatesAreSkippedGapsRejectedAndStateSurvivesRestart) {
  Region a("a", 1), b("b", 2);
  CreateTable(a, "t", "lww");
  for (int i = 0; i < 5; ++i) Put(a, "t", {{"pk", AttributeValue::S("k" + std::to_string(i))}});
  std::vector<std::string> all;
  ASSERT_TRUE(a->ReadLog(1, 1, 100, 1 << 20, &all).ok());
  ASSERT_EQ(all.size(), 6u);
  // A gap: seq 3 before 1 and 2.
  auto gap = b->ApplyRemoteChanges({all[2]});
  EXPECT_EQ(gap.status().code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(b->ApplyRemoteChanges({all[0], all[1], all[2]}).ok());
  auto again = b->ApplyRemoteChanges(all);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->skipped, 3u);
  EXPECT_EQ(again->applied, 3u);
  EXPECT_EQ(b->AppliedVector().Get(1), 6u);
  b.Open();  // restart: the applied vector was written with the applied data
  EXPECT_EQ(b->AppliedVector().Get(1), 6u);
  EXPECT_EQ(b->ApplyRemoteChanges(all)->skipped, 6u);
  EXPECT_EQ(b->GetTableStats(Table(b, "t")->table_id).item_count, 5u);
  // Garbage is rejected, not applied.
  EXPECT_FALSE(b->ApplyRemoteChanges({std::string(64, '\x07')}).ok());
  EXPECT_FALSE(b->ApplyRemoteChanges({"short"}).ok());
}

TEST(StoreReplicationTest, ChangesRelayThroughAThirdRegion) {
  Region a("a", 1), b("b", 2), c("c", 3);
  CreateTable(a, "t", "merge");
  Add(a, "t", "c", "n", "1");
  Ship(a, b, 1);
  // C never talks to A: it gets A's changes from B's log.
  Ship(b, c, 1);
  EXPECT_EQ(Get(c, "t", "c")->at("n").n().ToString(), "1");
  Add(c, "t", "c", "n", "2");
  Ship(c, b, 3);
  Ship(b, a, 3);
  EXPECT_EQ(Get(a, "t", "c")->at("n").n().ToString(), "3");
  EXPECT_EQ(a->Digest(*Table(a, "t"))->hash, c->Digest(*Table(c, "t"))->hash);
}

}  // namespace
}  // namespace meridian::store
