// ItemCache: coherence with commits (Update/Invalidate/Fill tokens), the memory bound, and
// CLOCK's second chance for entries that are read.
#include "store/item_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace meridian::store {
namespace {

std::shared_ptr<const StoredItem> Version(const std::string& value) {
  StoredItem stored;
  stored.version.item["v"] = model::AttributeValue::S(value);
  return std::make_shared<const StoredItem>(std::move(stored));
}

std::string ValueOf(const std::shared_ptr<const StoredItem>& item) {
  return item ? item->version.item.at("v").s() : "<miss>";
}

// One shard holds capacity / 16; these entries charge 100 + key + 128 bytes.
constexpr size_t kCharge = 100;

TEST(ItemCacheTest, UpdateReplacesAndInvalidateForgets) {
  ItemCache cache(1 << 20);
  EXPECT_EQ(cache.Get("a"), nullptr);
  cache.Update("a", Version("1"), kCharge);
  EXPECT_EQ(ValueOf(cache.Get("a")), "1");
  cache.Update("a", Version("2"), kCharge);
  EXPECT_EQ(ValueOf(cache.Get("a")), "2");
  cache.Invalidate("a");
  EXPECT_EQ(cache.Get("a"), nullptr);
  cache.Update("a", Version("3"), kCharge);  // a freed slot is reused
  EXPECT_EQ(ValueOf(cache.Get("a")), "3");
}

TEST(ItemCacheTest, FillIsRefusedAfterACommitAndNeverReplaces) {
  ItemCache cache(1 << 20);
  uint64_t token = cache.BeginFill("k");
  cache.Update("k", Version("committed"), kCharge);
  cache.Invalidate("k");
  cache.Fill("k", token, Version("stale read"), kCharge);
  EXPECT_EQ(cache.Get("k"), nullptr);  // the reader's version may predate the commit

  token = cache.BeginFill("k");
  cache.Fill("k", token, Version("read"), kCharge);
  EXPECT_EQ(ValueOf(cache.Get("k")), "read");
  cache.Fill("k", cache.BeginFill("k"), Version("other read"), kCharge);
  EXPECT_EQ(ValueOf(cache.Get("k")), "read");
}

TEST(ItemCacheTest, StaysWithinCapacity) {
  const size_t capacity = size_t{16} * 10'000;  // 10,000 bytes per shard: ~40 entries each
  ItemCache cache(capacity);
  for (int i = 0; i < 20'000; ++i) cache.Update("key" + std::to_string(i), Version("x"), kCharge);
  int cached = 0;
  for (int i = 0; i < 20'000; ++i) cached += cache.Get("key" + std::to_string(i)) != nullptr;
  const size_t per_entry = kCharge + 8 + 128;
  EXPECT_LE(static_cast<size_t>(cached), capacity / per_entry);
  EXPECT_GE(static_cast<size_t>(cached), capacity / per_entry / 2);  // not emptied either
  // The newest entries are there.
  EXPECT_NE(cache.Get("key19999"), nullptr);
}

TEST(ItemCacheTest, EntriesThatAreReadOutliveOnesThatAreNot) {
  ItemCache cache(size_t{16} * 20'000);  // ~80 entries per shard
  for (int i = 0; i < 100; ++i) cache.Update("hot" + std::to_string(i), Version("h"), kCharge);
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 100; ++i) ASSERT_NE(cache.Get("hot" + std::to_string(i)), nullptr) << round;
    for (int i = 0; i < 100; ++i) {
      const std::string key = "cold" + std::to_string(round * 100 + i);
      cache.Fill(key, cache.BeginFill(key), Version("c"), kCharge);
    }
  }
}

TEST(ItemCacheTest, AnItemLargerThanAShardDropsTheOlderVersion) {
  ItemCache cache(size_t{16} * 1000);
  cache.Update("big", Version("small"), kCharge);
  ASSERT_NE(cache.Get("big"), nullptr);
  cache.Update("big", Version("large"), 10'000);
  EXPECT_EQ(cache.Get("big"), nullptr);
}

TEST(ItemCacheTest, ZeroCapacityCachesNothing) {
  ItemCache cache(0);
  cache.Update("a", Version("1"), kCharge);
  cache.Fill("b", cache.BeginFill("b"), Version("2"), kCharge);
  EXPECT_EQ(cache.Get("a"), nullptr);
  EXPECT_EQ(cache.Get("b"), nullptr);
}

}  // namespace
}  // namespace meridian::store
