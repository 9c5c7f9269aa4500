// Two and three stores exchanging their change logs directly (no network): convergence of
// lww and merge tables, table DDL replication, duplicates, gaps, relays and restarts.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <filesystem>

#include <set>

#include "conflict/version_codec.h"
#include "store/change_log.h"
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
  void Close() { store_.reset(); }
  std::string path() const { return dir_.string(); }
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

// ---- transactions --------------------------------------------------------------------

// A transaction putting `value` into every key of `keys` of `table`.
Result<TransactResult> PutAll(Region& r, const char* table, const std::vector<const char*>& keys,
                              const char* value, const std::optional<TransactToken>& token = {},
                              CommitMode mode = CommitMode::kNow) {
  auto t = Table(r, table);
  std::vector<TransactItem> items;
  for (const char* k : keys) {
    Item item{{"pk", AttributeValue::S(k)}, {"v", AttributeValue::S(value)}};
    items.push_back({t.get(), AttributeValue::S(k), std::nullopt,
                     [item](const Item*) -> Result<Mutation> { return Mutation::Put(item); }});
  }
  return r->Transact(items, token, mode);
}

// Both items read at one snapshot, as "v" values ("-" when absent).
std::string Pair(Region& r, const char* table, const char* k1, const char* k2) {
  auto t = Table(r, table);
  std::vector<Status> status;
  auto got = r->GetItemsAtSnapshot({{t.get(), AttributeValue::S(k1), std::nullopt},
                                    {t.get(), AttributeValue::S(k2), std::nullopt}},
                                   &status);
  EXPECT_TRUE(got.ok());
  std::string out;
  for (const auto& item : *got) out += (out.empty() ? "" : ",") + (item ? item->at("v").s() : "-");
  return out;
}

TEST(StoreTransactionTest, CommitsTogetherAsOneUnitOfTheLog) {
  Region a("ta", 1);
  CreateTable(a, "t", "lww");
  const uint64_t before = a->last_seq();
  auto r = PutAll(a, "t", {"x", "y", "z"}, "1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, TransactResult::Outcome::kCommitted);
  EXPECT_EQ(r->seq, before + 3);
  EXPECT_EQ(Pair(a, "t", "x", "z"), "1,1");
  std::vector<std::string> log;
  ASSERT_TRUE(a->ReadLog(1, before + 1, 10, 1 << 20, &log).ok());
  ASSERT_EQ(log.size(), 3u);
  // Every record names the unit; the versions share one timestamp.
  std::set<uint64_t> hlcs;
  for (size_t i = 0; i < log.size(); ++i) {
    auto c = DecodeChange(log[i]);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->txn_first, before + 1);
    EXPECT_EQ(c->txn_count, 3u);
    hlcs.insert(conflict::DecodeItemVersion(c->version_bytes)->hlc.packed());
  }
  EXPECT_EQ(hlcs.size(), 1u);
}

TEST(StoreTransactionTest, AFailingItemCancelsEverything) {
  Region a("tc", 1);
  CreateTable(a, "t", "lww");
  auto t = Table(a, "t");
  const uint64_t before = a->last_seq();
  std::vector<TransactItem> items = {
      {t.get(), AttributeValue::S("x"), std::nullopt,
       [](const Item*) -> Result<Mutation> {
         return Mutation::Put(Item{{"pk", AttributeValue::S("x")}});
       }},
      {t.get(), AttributeValue::S("y"), std::nullopt,
       [](const Item*) -> Result<Mutation> { return Status::ConditionFailed("no"); }},
  };
  auto r = a->Transact(items, std::nullopt);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, TransactResult::Outcome::kCancelled);
  ASSERT_EQ(r->item_status.size(), 2u);
  EXPECT_TRUE(r->item_status[0].ok());
  EXPECT_EQ(r->item_status[1].code(), Status::Code::kConditionFailed);
  EXPECT_EQ(a->last_seq(), before);
  EXPECT_FALSE(Get(a, "t", "x").has_value());
}

TEST(StoreTransactionTest, TokensReplayAcrossRestartAndRefuseOtherRequests) {
  Region a("tt", 1);
  CreateTable(a, "t", "lww");
  auto first = PutAll(a, "t", {"x"}, "1", TransactToken{"tok", "digest-1"});
  ASSERT_TRUE(first.ok());
  a.Open();  // the token is durable with the transaction
  auto again = PutAll(a, "t", {"x"}, "2", TransactToken{"tok", "digest-1"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, TransactResult::Outcome::kReplayed);
  EXPECT_EQ(again->seq, first->seq);
  EXPECT_EQ(Get(a, "t", "x")->at("v").s(), "1");  // nothing done by the replay
  auto other = PutAll(a, "t", {"x"}, "3", TransactToken{"tok", "digest-2"});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->outcome, TransactResult::Outcome::kTokenMismatch);
}

TEST(StoreTransactionTest, TokensOfTheLegacyLayoutAreHonouredAfterAnUpgrade) {
  Region a("tl", 1);
  CreateTable(a, "t", "lww");
  const std::string dir = a.path();
  a.Close();
  {
    // Written as sessions before 2026-12 did: "txn_token/<token>" -> time | seq | digest.
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    cfs.reserve(names.size());
    for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir, cfs, &handles, &raw).ok());
    const auto tokens = std::find(names.begin(), names.end(), "tokens") - names.begin();
    auto be64 = [](uint64_t v) {
      std::string out(8, '\0');
      for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (56 - 8 * i));
      return out;
    };
    const uint64_t now = conflict::SystemClock()->NowMillis();
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), handles[tokens], "txn_token/old-tok",
                         be64(now - 1000) + be64(7) + "digest-1")
                    .ok());
    for (auto* h : handles) ASSERT_TRUE(raw->DestroyColumnFamilyHandle(h).ok());
    delete raw;
  }
  a.Open();
  auto again = PutAll(a, "t", {"x"}, "1", TransactToken{"old-tok", "digest-1"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, TransactResult::Outcome::kReplayed);
  EXPECT_EQ(again->seq, 7u);
  EXPECT_FALSE(Get(a, "t", "x").has_value());
  a.Open();  // moved once; still known after another restart
  auto other = PutAll(a, "t", {"x"}, "1", TransactToken{"old-tok", "digest-2"});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->outcome, TransactResult::Outcome::kTokenMismatch);
}

TEST(StoreTransactionTest, ARetryFindsATokenWhoseGroupIsNotWrittenYet) {
  Region a("tg", 1);
  CreateTable(a, "t", "lww");
  auto first = PutAll(a, "t", {"x"}, "1", TransactToken{"tok", "d"}, CommitMode::kDeferred);
  ASSERT_TRUE(first.ok());
  EXPECT_LT(a->committed_seq(), first->seq);  // still in the open group
  auto again = PutAll(a, "t", {"x"}, "2", TransactToken{"tok", "d"}, CommitMode::kDeferred);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, TransactResult::Outcome::kReplayed);
  EXPECT_EQ(again->seq, first->seq);
  EXPECT_GE(a->committed_seq(), first->seq);  // the replay is answered once it is durable
  auto fresh = PutAll(a, "t", {"y"}, "3", TransactToken{"tok-2", "d"}, CommitMode::kDeferred);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->outcome, TransactResult::Outcome::kCommitted);
  EXPECT_EQ(Get(a, "t", "x")->at("v").s(), "1");
}

TEST(StoreTransactionTest, RemoteUnitsApplyWholeOrNotAtAll) {
  Region a("ua", 1), b("ub", 2);
  CreateTable(a, "t", "lww");
  Ship(a, b, 1);
  const uint64_t from = a->last_seq() + 1;
  ASSERT_TRUE(PutAll(a, "t", {"x", "y"}, "1").ok());
  std::vector<std::string> log;
  ASSERT_TRUE(a->ReadLog(1, from, 10, 1 << 20, &log).ok());
  ASSERT_EQ(log.size(), 2u);
  // Half a unit is refused and leaves nothing behind.
  auto half = b->ApplyRemoteChanges({log[0]});
  EXPECT_EQ(half.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(b->AppliedVector().Get(1), from - 1);
  EXPECT_EQ(Pair(b, "t", "x", "y"), "-,-");
  auto whole = b->ApplyRemoteChanges(log);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->applied, 2u);
  EXPECT_EQ(Pair(b, "t", "x", "y"), "1,1");
  // A duplicate delivery of the unit is skipped whole.
  auto dup = b->ApplyRemoteChanges(log);
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->skipped, 2u);
}

TEST(StoreTransactionTest, ConcurrentTransactionsResolveTheSameOnEveryItem) {
  Region a("ca", 1), b("cb", 2);
  CreateTable(a, "t", "lww");
  Ship(a, b, 1);
  ASSERT_TRUE(PutAll(a, "t", {"x", "y"}, "from-a").ok());
  ASSERT_TRUE(PutAll(b, "t", {"x", "y"}, "from-b").ok());
  Ship(a, b, 1);
  Ship(b, a, 2);
  const std::string winner = Pair(a, "t", "x", "y");
  EXPECT_TRUE(winner == "from-a,from-a" || winner == "from-b,from-b") << winner;
  EXPECT_EQ(Pair(b, "t", "x", "y"), winner);
}

TEST(StoreTransactionTest, AFencedTableRefusesTransactionsUntilTheLogCatchesUp) {
  Region a("fa", 1), b("fb", 2);
  CreateTable(a, "t", "lww");
  Ship(a, b, 1);
  ASSERT_TRUE(PutAll(a, "t", {"x"}, "1").ok());
  // B copied the table from a snapshot that already reflected A's last change.
  ASSERT_TRUE(b->FenceTable("t", a->AppliedVector()).ok());
  EXPECT_FALSE(b->TransactionReady(*Table(b, "t")));
  auto r = PutAll(b, "t", {"y"}, "2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, TransactResult::Outcome::kCancelled);
  EXPECT_EQ(r->item_status[0].code(), Status::Code::kConflict);
  std::vector<Status> status;
  auto t = Table(b, "t");
  auto got = b->GetItemsAtSnapshot({{t.get(), AttributeValue::S("x"), std::nullopt}}, &status);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(status[0].code(), Status::Code::kConflict);
  b.Open();  // the fence is durable
  EXPECT_FALSE(b->TransactionReady(*Table(b, "t")));
  Ship(a, b, 1);
  EXPECT_TRUE(b->TransactionReady(*Table(b, "t")));
  EXPECT_EQ(PutAll(b, "t", {"y"}, "2")->outcome, TransactResult::Outcome::kCommitted);
}

TEST(StoreTransactionTest, TokensExpireAfterTenMinutes) {
  struct ManualClock final : conflict::PhysicalClock {
    uint64_t now = 1'800'000'000'000;
    uint64_t NowMillis() override { return now; }
  } clock;
  const auto dir =
      std::filesystem::temp_directory_path() / ("meridian_tokens_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    StoreOptions o;
    o.path = dir.string();
    o.region = "tk";
    o.clock = &clock;
    auto store = std::move(Store::Open(o).value());
    TableInfo info;
    info.name = "t";
    info.partition_key = {"pk", KeyType::kS};
    ASSERT_TRUE(store->CreateTable(info).ok());
    auto t = *store->GetTable("t");
    int runs = 0;
    std::vector<TransactItem> items = {
        {t.get(), AttributeValue::S("x"), std::nullopt, [&](const Item*) -> Result<Mutation> {
           ++runs;
           return Mutation::Put(Item{{"pk", AttributeValue::S("x")}});
         }}};
    const TransactToken token{"tok", "d"};
    EXPECT_EQ(store->Transact(items, token)->outcome, TransactResult::Outcome::kCommitted);
    clock.now += uint64_t{9} * 60 * 1000;
    EXPECT_EQ(store->Transact(items, token)->outcome, TransactResult::Outcome::kReplayed);
    EXPECT_EQ(store->Transact(items, TransactToken{"tok", "other"})->outcome,
              TransactResult::Outcome::kTokenMismatch);
    clock.now += uint64_t{2} * 60 * 1000;  // 11 minutes after the first use
    EXPECT_EQ(store->Transact(items, TransactToken{"tok", "other"})->outcome,
              TransactResult::Outcome::kCommitted);
    EXPECT_EQ(runs, 2);
    // The new use is remembered again, also after the sweep of the old one.
    clock.now += uint64_t{61} * 1000;
    EXPECT_EQ(store->Transact(items, TransactToken{"tok2", "d"})->outcome,
              TransactResult::Outcome::kCommitted);
    store->CommitPending();
    EXPECT_EQ(store->Transact(items, TransactToken{"tok", "other"})->outcome,
              TransactResult::Outcome::kReplayed);
    // A restart remembers the tokens of the last 10 minutes, and only those.
    store.reset();
    store = std::move(Store::Open(o).value());
    t = *store->GetTable("t");
    items[0].table = t.get();
    EXPECT_EQ(store->Transact(items, TransactToken{"tok2", "other"})->outcome,
              TransactResult::Outcome::kTokenMismatch);
    clock.now += uint64_t{10} * 60 * 1000;
    store.reset();
    store = std::move(Store::Open(o).value());
    t = *store->GetTable("t");
    items[0].table = t.get();
    EXPECT_EQ(store->Transact(items, TransactToken{"tok2", "other"})->outcome,
              TransactResult::Outcome::kCommitted);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace meridian::store
