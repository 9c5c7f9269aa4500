// Store: item codec round trips, atomic conditional writes, change log sequencing, restart.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "conflict/local_write.h"
#include "store/item_codec.h"
#include "store/store.h"
#include "store/token_index.h"

namespace meridian::store {
namespace {

using model::AttributeValue;
using model::Item;
using model::Number;

Number N(const char* s) { return *Number::Parse(s); }

Item SampleItem() {
  AttributeValue::Map nested{{"x", AttributeValue::Bool(true)}, {"y", AttributeValue::Null()}};
  return Item{
      {"pk", AttributeValue::S("key")},
      {"n", AttributeValue::N(N("12345678901234567890.123456789012345678"))},
      {"b", AttributeValue::B(std::string("\0\1\2\xff", 4))},
      {"m", AttributeValue::M(nested)},
      {"l", AttributeValue::L({AttributeValue::S("a"), AttributeValue::N(N("-1"))})},
      {"ss", AttributeValue::SS({"b", "a"})},
      {"ns", AttributeValue::NS({N("3"), N("1.5")})},
      {"bs", AttributeValue::BS({std::string("\xff", 1), std::string("\0", 1)})},
      {"empty", AttributeValue::S("")},
  };
}

TEST(ItemCodecTest, RoundTripsEveryType) {
  auto version = conflict::ApplyLocalWrite(conflict::ItemVersion{}, conflict::ConflictPolicy::kLww,
                                           conflict::LocalWrite::Put(SampleItem()),
                                           conflict::Dot{7, 42}, conflict::Hlc::FromParts(1000, 3));
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  StoredItem in = MakeStoredItem(*version);
  EXPECT_EQ(in.item(), SampleItem());
  auto out = DecodeStoredItem(EncodeStoredItem(in));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->item(), SampleItem());
  EXPECT_EQ(out->version, in.version);
  EXPECT_EQ(out->version.dot.region, 7u);
  EXPECT_EQ(out->version.dot.seq, 42u);
  EXPECT_FALSE(out->tombstone());
}

TEST(ItemCodecTest, GarbageIsCorruptionNotACrash) {
  std::mt19937 rng(1234);
  int rejected = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(8 * (rng() % 16), '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    if (!DecodeStoredItem(bytes).ok()) ++rejected;
  }
  EXPECT_GT(rejected, 0);
  EXPECT_FALSE(DecodeStoredItem("abc").ok());
}

TEST(TokenIndexTest, RemembersFingerprintsForTheTtlOnly) {
  constexpr uint64_t kTtl = uint64_t{10} * 60 * 1000;
  constexpr uint64_t kMinute = uint64_t{60} * 1000;
  TokenIndex index(kTtl);
  const uint64_t t0 = 1'800'000'000'000;
  const uint64_t a = TokenIndex::Fingerprint("token-a");
  const uint64_t b = TokenIndex::Fingerprint("token-b");
  EXPECT_NE(a, b);
  EXPECT_FALSE(index.Find(a, t0));
  index.Add(a, t0);
  index.Add(b, t0 + 5 * kMinute);
  EXPECT_EQ(index.Find(a, t0 + kTtl - 1), t0);
  EXPECT_EQ(index.Find(b, t0 + kTtl - 1), t0 + 5 * kMinute);
  EXPECT_FALSE(index.Find(TokenIndex::Fingerprint("token-c"), t0));
  // a's generation ends at most kGenerationMs after t0: past the TTL from then, a is gone
  // while b (used later) is still known; adding drops the expired generation's memory.
  const uint64_t later = t0 + TokenIndex::kGenerationMs + kTtl;
  EXPECT_FALSE(index.Find(a, later));
  EXPECT_TRUE(index.Find(b, later));
  index.Add(TokenIndex::Fingerprint("token-d"), later);
  EXPECT_EQ(index.size(), 2u);
  // Tokens may be added out of time order (filled from RocksDB at start).
  index.Add(TokenIndex::Fingerprint("token-e"), t0 + 6 * kMinute);
  EXPECT_TRUE(index.Find(TokenIndex::Fingerprint("token-e"), later));
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("meridian_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    StoreOptions options;
    options.path = dir_.string();
    options.region = "r1";
    options.region_id = 1;
    options.block_cache_mb = 8;
    auto s = Store::Open(options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  std::shared_ptr<const TableInfo> MakeTable(const std::string& name, bool range) {
    TableInfo info;
    info.name = name;
    info.partition_key = {"pk", KeyType::kS};
    if (range) info.sort_key = KeyAttribute{"sk", KeyType::kN};
    auto t = store_->CreateTable(info);
    EXPECT_TRUE(t.ok());
    return *t;
  }
  Status Put(const TableInfo& t, const Item& item) {
    const AttributeValue* sk = t.sort_key ? &item.at(t.sort_key->name) : nullptr;
    return store_
        ->WriteItem(t, item.at("pk"), sk,
                    [&](const Item*) -> Result<Mutation> { return Mutation::Put(item); })
        .status();
  }

  // Live items a scan of `t` visits.
  size_t CountItems(const TableInfo& t) {
    size_t visited = 0;
    EXPECT_TRUE(store_->Range(t, {}, [&](const Item&) { return ++visited > 0; }).ok());
    return visited;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, CatalogPersistsAndRejectsDuplicates) {
  MakeTable("alpha", false);
  MakeTable("beta", true);
  TableInfo dup;
  dup.name = "alpha";
  EXPECT_EQ(store_->CreateTable(dup).status().code(), Status::Code::kResourceInUse);
  Reopen();
  EXPECT_EQ(store_->ListTableNames(), (std::vector<std::string>{"alpha", "beta"}));
  auto beta = store_->GetTable("beta");
  ASSERT_TRUE(beta.ok());
  ASSERT_TRUE((*beta)->sort_key.has_value());
  EXPECT_EQ((*beta)->sort_key->type, KeyType::kN);
  EXPECT_EQ(store_->GetTable("gamma").status().code(), Status::Code::kNotFound);
}

TEST_F(StoreTest, WritesAssignGaplessSequenceAndSurviveReopen) {
  auto t = MakeTable("t", false);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Put(*t, {{"pk", AttributeValue::S("k" + std::to_string(i))}}).ok());
  }
  // CreateTable is a logged change too: seq 1.
  EXPECT_EQ(store_->last_seq(), 11u);
  EXPECT_EQ(store_->GetTableStats(t->table_id).item_count, 10u);
  Reopen();
  EXPECT_EQ(store_->last_seq(), 11u);
  auto table = *store_->GetTable("t");
  EXPECT_EQ(store_->GetTableStats(table->table_id).item_count, 10u);
  auto got = store_->GetItem(*table, AttributeValue::S("k3"), nullptr);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->has_value());
}

TEST_F(StoreTest, DeleteIsTombstoneAndInvisible) {
  auto t = MakeTable("t", false);
  ASSERT_TRUE(Put(*t, {{"pk", AttributeValue::S("a")}}).ok());
  auto del = store_->WriteItem(*t, AttributeValue::S("a"), nullptr,
                               [](const Item* cur) -> Result<Mutation> {
                                 EXPECT_NE(cur, nullptr);
                                 return Mutation::Delete();
                               });
  ASSERT_TRUE(del.ok());
  EXPECT_TRUE(del->old_item.has_value());
  EXPECT_FALSE(store_->GetItem(*t, AttributeValue::S("a"), nullptr)->has_value());
  EXPECT_EQ(store_->GetTableStats(t->table_id).item_count, 0u);
  EXPECT_EQ(CountItems(*t), 0u);
}

TEST_F(StoreTest, ConditionalIncrementsAreAtomicUnderContention) {
  auto t = MakeTable("t", false);
  ASSERT_TRUE(Put(*t, {{"pk", AttributeValue::S("c")}, {"v", AttributeValue::N(N("0"))}}).ok());
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int th = 0; th < 8; ++th) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto r = store_->WriteItem(*t, AttributeValue::S("c"), nullptr,
                                   [&](const Item* cur) -> Result<Mutation> {
                                     Item next = *cur;
                                     next["v"] = AttributeValue::N(*cur->at("v").n().Add(N("1")));
                                     return Mutation::Put(next);
                                   });
        ASSERT_TRUE(r.ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  auto got = store_->GetItem(*t, AttributeValue::S("c"), nullptr);
  EXPECT_EQ((**got).at("v").n().ToString(), "1600");
  EXPECT_EQ(store_->last_seq(), 1602u);  // create + put + 1600 increments
}

TEST_F(StoreTest, RangeScanFollowsSortKeyOrderAndDeleteTableDropsItems) {
  auto t = MakeTable("t", true);
  for (const char* sk : {"10", "-5", "2.5", "100", "0"}) {
    ASSERT_TRUE(Put(*t, {{"pk", AttributeValue::S("p")}, {"sk", AttributeValue::N(N(sk))}}).ok());
  }
  std::vector<std::string> order;
  ASSERT_TRUE(store_
                  ->Range(*t, {},
                          [&](const Item& item) {
                            order.push_back(item.at("sk").n().ToString());
                            return true;
                          })
                  .ok());
  EXPECT_EQ(order, (std::vector<std::string>{"-5", "0", "2.5", "10", "100"}));
  ASSERT_TRUE(store_->DeleteTable("t").ok());
  auto again = MakeTable("t", true);
  EXPECT_NE(again->table_id, t->table_id);
  EXPECT_EQ(CountItems(*again), 0u);
}

TEST_F(StoreTest, DeferredWritesShareOneGroupAndReadThroughTheOverlay) {
  auto t = MakeTable("t", false);
  auto put_n = [&](const char* n) {
    return store_->WriteItem(
        *t, AttributeValue::S("k"), nullptr,
        [&](const Item* cur) -> Result<Mutation> {
          Item next{{"pk", AttributeValue::S("k")}, {"n", AttributeValue::N(N(n))}};
          if (cur) next["prev"] = cur->at("n");
          return Mutation::Put(next);
        },
        CommitMode::kDeferred);
  };
  auto first = put_n("1");
  auto second = put_n("2");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->seq, 2u);  // seq 1 is the table's creation
  EXPECT_EQ(second->seq, 3u);
  // The second write saw the staged first one.
  ASSERT_TRUE(second->old_item.has_value());
  EXPECT_EQ(second->old_item->at("n").n().ToString(), "1");
  // Not visible to readers and not durable before the group is written.
  EXPECT_FALSE(store_->GetItem(*t, AttributeValue::S("k"), nullptr)->has_value());
  EXPECT_EQ(store_->committed_seq(), 1u);

  std::vector<uint64_t> acked;
  EXPECT_TRUE(store_->WhenDurable(2, [&](const Status& s) {
    ASSERT_TRUE(s.ok());
    acked.push_back(2);
  }));
  EXPECT_FALSE(store_->WhenDurable(3, [&](const Status& s) {
    ASSERT_TRUE(s.ok());
    acked.push_back(3);
  }));
  EXPECT_TRUE(acked.empty());
  store_->CommitPending();
  EXPECT_EQ(acked, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(store_->committed_seq(), 3u);
  auto got = store_->GetItem(*t, AttributeValue::S("k"), nullptr);
  EXPECT_EQ((**got).at("n").n().ToString(), "2");
  EXPECT_EQ((**got).at("prev").n().ToString(), "1");
  // Already durable: the callback runs at once and no commit is requested.
  bool ran = false;
  EXPECT_FALSE(store_->WhenDurable(3, [&](const Status&) { ran = true; }));
  EXPECT_TRUE(ran);
  EXPECT_EQ(store_->GetTableStats(t->table_id).item_count, 1u);
}

TEST_F(StoreTest, StagedWritesAreCommittedAtClose) {
  auto t = MakeTable("t", false);
  ASSERT_TRUE(store_
                  ->WriteItem(
                      *t, AttributeValue::S("a"), nullptr,
                      [](const Item*) -> Result<Mutation> {
                        return Mutation::Put(Item{{"pk", AttributeValue::S("a")}});
                      },
                      CommitMode::kDeferred)
                  .ok());
  Reopen();
  auto table = *store_->GetTable("t");
  EXPECT_TRUE(store_->GetItem(*table, AttributeValue::S("a"), nullptr)->has_value());
  EXPECT_EQ(store_->last_seq(), 2u);
}

// Store::Range in DynamoDB's terms: partitions, every sort-key condition, direction,
// ExclusiveStartKey and Scan segments.
class StoreRangeTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    table_ = MakeTable("r", /*range=*/true);
    for (int sk = -2; sk <= 5; ++sk) {
      ASSERT_TRUE(Put(*table_, Item{{"pk", AttributeValue::S("a")},
                                    {"sk", AttributeValue::N(*Number::Parse(std::to_string(sk)))}})
                      .ok());
    }
    for (const char* pk : {"b", "c", "d", "e", "f"}) {
      ASSERT_TRUE(Put(*table_, Item{{"pk", AttributeValue::S(pk)},
                                    {"sk", AttributeValue::N(*Number::Parse("1"))}})
                      .ok());
    }
  }
  static AttributeValue N(int v) { return AttributeValue::N(*Number::Parse(std::to_string(v))); }
  static RangeQuery Partition(const char* pk) {
    RangeQuery q;
    q.partition = AttributeValue::S(pk);
    return q;
  }
  static RangeQuery Sorted(SortKeyCondition::Op op, int v, int upper = 0) {
    RangeQuery q = Partition("a");
    q.sort = SortKeyCondition{op, N(v), N(upper)};
    return q;
  }
  // "pk:sk" of every item the range visits, in order.
  std::vector<std::string> Read(const RangeQuery& q) {
    std::vector<std::string> out;
    Status s = store_->Range(*table_, q, [&](const Item& item) {
      out.push_back(item.at("pk").s() + ":" + item.at("sk").n().ToString());
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  using V = std::vector<std::string>;
  std::shared_ptr<const TableInfo> table_;
};

TEST_F(StoreRangeTest, SortKeyConditions) {
  using Op = SortKeyCondition::Op;
  EXPECT_EQ(Read(Partition("a")), (V{"a:-2", "a:-1", "a:0", "a:1", "a:2", "a:3", "a:4", "a:5"}));
  EXPECT_EQ(Read(Partition("b")), (V{"b:1"}));
  EXPECT_EQ(Read(Partition("zz")), V{});
  EXPECT_EQ(Read(Sorted(Op::kEq, 3)), (V{"a:3"}));
  EXPECT_EQ(Read(Sorted(Op::kEq, 9)), V{});
  EXPECT_EQ(Read(Sorted(Op::kLt, 0)), (V{"a:-2", "a:-1"}));
  EXPECT_EQ(Read(Sorted(Op::kLe, 0)), (V{"a:-2", "a:-1", "a:0"}));
  EXPECT_EQ(Read(Sorted(Op::kGt, 4)), (V{"a:5"}));
  EXPECT_EQ(Read(Sorted(Op::kGe, 4)), (V{"a:4", "a:5"}));
  EXPECT_EQ(Read(Sorted(Op::kBetween, -1, 1)), (V{"a:-1", "a:0", "a:1"}));
  EXPECT_EQ(Read(Sorted(Op::kBetween, 2, 2)), (V{"a:2"}));
}

TEST_F(StoreRangeTest, DirectionAndExclusiveStart) {
  RangeQuery q = Partition("a");
  q.reverse = true;
  EXPECT_EQ(Read(q), (V{"a:5", "a:4", "a:3", "a:2", "a:1", "a:0", "a:-1", "a:-2"}));
  q.exclusive_start = Item{{"pk", AttributeValue::S("a")}, {"sk", N(2)}};
  EXPECT_EQ(Read(q), (V{"a:1", "a:0", "a:-1", "a:-2"}));
  q.reverse = false;
  EXPECT_EQ(Read(q), (V{"a:3", "a:4", "a:5"}));
  q.sort = SortKeyCondition{SortKeyCondition::Op::kLt, N(2), {}};
  EXPECT_EQ(Read(q), V{});  // the start is past the condition's end
  q.exclusive_start = Item{{"pk", AttributeValue::S("a")}};  // no sort key
  EXPECT_EQ(store_->Range(*table_, q, [](const Item&) { return true; }).code(),
            Status::Code::kInvalidArgument);
}

TEST_F(StoreRangeTest, ScanSegmentsCoverTheTableOnce) {
  const V all = Read(RangeQuery{});
  EXPECT_EQ(all.size(), 13u);
  for (uint32_t total : {1u, 2u, 3u, 7u, 64u}) {
    std::multiset<std::string> seen;
    for (uint32_t i = 0; i < total; ++i) {
      RangeQuery q;
      q.segment = i;
      q.total_segments = total;
      for (const auto& k : Read(q)) seen.insert(k);
    }
    EXPECT_EQ(seen, std::multiset<std::string>(all.begin(), all.end())) << total;
  }
  // A scan resumes after its ExclusiveStartKey.
  RangeQuery q;
  q.exclusive_start = Item{{"pk", AttributeValue::S(all[5].substr(0, 1))},
                           {"sk", AttributeValue::N(*Number::Parse(all[5].substr(2)))}};
  EXPECT_EQ(Read(q), V(all.begin() + 6, all.end()));
}

TEST_F(StoreTest, RangeBeginsWithOnStringSortKeys) {
  TableInfo info;
  info.name = "s";
  info.partition_key = {"pk", KeyType::kS};
  info.sort_key = KeyAttribute{"sk", KeyType::kS};
  auto t = *store_->CreateTable(info);
  for (const char* sk : {"a", "ab", "abc", "abd", "b"}) {
    ASSERT_TRUE(Put(*t, Item{{"pk", AttributeValue::S("p")}, {"sk", AttributeValue::S(sk)}}).ok());
  }
  ASSERT_TRUE(Put(*t, Item{{"pk", AttributeValue::S("p")},
                           {"sk", AttributeValue::S(std::string("ab\0x", 4))}})
                  .ok());
  RangeQuery q;
  q.partition = AttributeValue::S("p");
  q.sort = SortKeyCondition{SortKeyCondition::Op::kBeginsWith, AttributeValue::S("ab"), {}};
  std::vector<std::string> out;
  ASSERT_TRUE(store_
                  ->Range(*t, q,
                          [&](const Item& item) {
                            out.push_back(item.at("sk").s());
                            return true;
                          })
                  .ok());
  EXPECT_EQ(out, (std::vector<std::string>{"ab", std::string("ab\0x", 4), "abc", "abd"}));
}

}  // namespace
}  // namespace meridian::store
