// Point-in-time recovery in the store: the state of a table at any time since PITR was
// enabled (baseline included), trimming to the retention window keeps the state at the
// window's start, disabling drops the history, and the setting survives a restart.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "conflict/item_version.h"
#include "conflict/version_codec.h"
#include "conflict_test_util.h"
#include "store/store.h"

namespace meridian::store {
namespace {

using model::AttributeValue;
using model::Item;

constexpr uint64_t kSecond = 1000;
constexpr uint64_t kDay = 86'400'000;

class StoreHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("meridian_history_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
    TableInfo info;
    info.name = "t";
    info.partition_key = {"pk", KeyType::kS};
    ASSERT_TRUE(store_->CreateTable(info).ok());
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
    options.clock = &clock_;
    auto s = Store::Open(options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  std::shared_ptr<const TableInfo> Table() { return *store_->GetTable("t"); }
  void Put(const std::string& pk, int n) {
    const Item item{{"pk", AttributeValue::S(pk)},
                    {"n", AttributeValue::N(*model::Number::Parse(std::to_string(n)))}};
    ASSERT_TRUE(
        store_
            ->WriteItem(*Table(), item.at("pk"), nullptr,
                        [&](const Item*) -> Result<Mutation> { return Mutation::Put(item); })
            .ok());
  }
  void Delete(const std::string& pk) {
    ASSERT_TRUE(store_
                    ->WriteItem(*Table(), AttributeValue::S(pk), nullptr,
                                [](const Item*) -> Result<Mutation> { return Mutation::Delete(); })
                    .ok());
  }
  // pk -> n of the live items a cursor yields.
  static std::map<std::string, std::string> Read(VersionCursor* cursor) {
    std::map<std::string, std::string> out;
    std::string_view suffix, bytes;
    while (cursor->Next(&suffix, &bytes)) {
      auto version = conflict::DecodeItemVersion(bytes);
      EXPECT_TRUE(version.ok());
      if (!version.ok() || version->tombstone) continue;
      const Item item = conflict::Materialize(*version);
      out[item.at("pk").s()] = item.at("n").n().ToString();
    }
    EXPECT_TRUE(cursor->status().ok()) << cursor->status().ToString();
    return out;
  }
  std::map<std::string, std::string> At(uint64_t time_ms) {
    auto cursor = store_->OpenVersionsAt("t", time_ms);
    EXPECT_TRUE(cursor.ok()) << cursor.status().ToString();
    return cursor.ok() ? Read(cursor->get()) : std::map<std::string, std::string>{};
  }

  conflict::testing::ManualClock clock_{1'000 * kSecond};
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

using Contents = std::map<std::string, std::string>;

TEST_F(StoreHistoryTest, EveryPointSinceEnablingCanBeRead) {
  Put("a", 1);
  Put("b", 1);
  EXPECT_FALSE(store_->OpenVersionsAt("t", clock_.NowMillis()).ok());  // PITR off
  clock_.Set(1'000 * kSecond + 500);
  auto state = store_->EnablePitr("t", 1);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->enabled_ms, 1'000 * kSecond + 500);
  clock_.Set(1'001 * kSecond);
  Put("a", 2);
  Delete("b");
  Put("c", 1);
  clock_.Set(1'002 * kSecond);
  Put("a", 3);

  EXPECT_EQ(At(1'000 * kSecond + 500), (Contents{{"a", "1"}, {"b", "1"}}));
  EXPECT_EQ(At(1'001 * kSecond - 1), (Contents{{"a", "1"}, {"b", "1"}}));
  EXPECT_EQ(At(1'001 * kSecond), (Contents{{"a", "2"}, {"c", "1"}}));
  EXPECT_EQ(At(1'001 * kSecond + 999), (Contents{{"a", "2"}, {"c", "1"}}));
  EXPECT_EQ(At(1'002 * kSecond), (Contents{{"a", "3"}, {"c", "1"}}));
  // Before the baseline there is nothing to restore (the API refuses such times).
  EXPECT_EQ(At(1'000 * kSecond), Contents{});
  // The current content, at one snapshot.
  auto now = store_->OpenVersions("t");
  ASSERT_TRUE(now.ok() && *now);
  EXPECT_EQ(Read(now->get()), (Contents{{"a", "3"}, {"c", "1"}}));
  EXPECT_GT(store_->HistoryBytes(Table()->table_id), 0u);
}

TEST_F(StoreHistoryTest, TrimKeepsTheStateAtTheWindowStart) {
  Put("a", 1);
  Put("b", 1);
  ASSERT_TRUE(store_->EnablePitr("t", 1).ok());
  clock_.Set(1'001 * kSecond);
  Put("a", 2);
  Delete("b");
  Put("c", 1);
  clock_.Set(1'002 * kSecond);
  Put("a", 3);
  // Nothing is older than the window yet.
  auto dropped = store_->TrimHistory();
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 0u);
  // The window now starts at 1001.5 s: the versions of a and b from before 1001 s go (the
  // 1001 s ones are the state at the window's start and stay).
  clock_.Set(1'001 * kSecond + 500 + kDay);
  EXPECT_EQ(store_->GetPitr(Table()->table_id)->EarliestRestorable(clock_.NowMillis()),
            1'001 * kSecond + 500);
  dropped = store_->TrimHistory();
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 2u);
  EXPECT_EQ(At(1'001 * kSecond + 500), (Contents{{"a", "2"}, {"c", "1"}}));
  EXPECT_EQ(At(1'002 * kSecond), (Contents{{"a", "3"}, {"c", "1"}}));
  dropped = store_->TrimHistory();  // idempotent
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 0u);
}

TEST_F(StoreHistoryTest, DisablingDropsTheHistoryAndTheSettingSurvivesRestarts) {
  Put("a", 1);
  ASSERT_TRUE(store_->EnablePitr("t", 7).ok());
  clock_.Set(1'001 * kSecond);
  Put("a", 2);
  Reopen();
  auto pitr = store_->GetPitr(Table()->table_id);
  ASSERT_TRUE(pitr.has_value());
  EXPECT_EQ(pitr->period_days, 7u);
  EXPECT_EQ(At(1'000 * kSecond), (Contents{{"a", "1"}}));
  // Enabling again changes only the period.
  ASSERT_TRUE(store_->EnablePitr("t", 3).ok());
  EXPECT_EQ(store_->GetPitr(Table()->table_id)->enabled_ms, 1'000 * kSecond);
  EXPECT_EQ(store_->GetPitr(Table()->table_id)->period_days, 3u);

  ASSERT_TRUE(store_->DisablePitr("t").ok());
  EXPECT_FALSE(store_->GetPitr(Table()->table_id).has_value());
  EXPECT_FALSE(store_->OpenVersionsAt("t", clock_.NowMillis()).ok());
  clock_.Set(1'002 * kSecond);
  Put("a", 3);
  Reopen();
  EXPECT_FALSE(store_->GetPitr(Table()->table_id).has_value());
  // A new enabling starts from the current content only.
  clock_.Set(1'003 * kSecond);
  ASSERT_TRUE(store_->EnablePitr("t", 1).ok());
  EXPECT_EQ(At(1'003 * kSecond), (Contents{{"a", "3"}}));
  EXPECT_EQ(At(1'001 * kSecond), Contents{});
  EXPECT_FALSE(store_->EnablePitr("t", 36).ok());
  EXPECT_FALSE(store_->EnablePitr("missing", 1).ok());
}

TEST_F(StoreHistoryTest, DeletingTheTableDropsItsHistory) {
  Put("a", 1);
  ASSERT_TRUE(store_->EnablePitr("t", 1).ok());
  const uint32_t id = Table()->table_id;
  ASSERT_TRUE(store_->DeleteTable("t").ok());
  EXPECT_FALSE(store_->GetPitr(id).has_value());
  Reopen();
  EXPECT_FALSE(store_->GetPitr(id).has_value());
}

}  // namespace
}  // namespace meridian::store
