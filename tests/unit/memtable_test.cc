// The memtable (store/memtable.h) through RocksDB itself: random writes, deletes, batches and
// snapshots against a model, reads in every direction (iterators come from RocksDB's arenas),
// a flush, another comparator, size estimates, and readers racing the writer.
#include "store/memtable.h"

#include <gtest/gtest.h>
#include <rocksdb/comparator.h>
#include <rocksdb/db.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace meridian::store {
namespace {

class MemTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("meridian-memtable-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open(const rocksdb::Comparator* comparator = rocksdb::BytewiseComparator()) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.allow_concurrent_memtable_write = false;
    options.memtable_factory = NewSkipListMemTableFactory();
    options.comparator = comparator;
    options.write_buffer_size = 64 << 20;  // nothing leaves the memtable before Flush
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_.string(), &db).ok());
    db_.reset(db);
  }
  std::optional<std::string> Get(const std::string& key,
                                 const rocksdb::Snapshot* snapshot = nullptr) {
    rocksdb::ReadOptions read;
    read.snapshot = snapshot;
    std::string value;
    auto s = db_->Get(read, key, &value);
    if (s.IsNotFound()) return std::nullopt;
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }
  using Model = std::map<std::string, std::string>;
  // Every read the database offers, checked against `model`.
  void ExpectMatches(const Model& model, const rocksdb::Snapshot* snapshot,
                     const std::vector<std::string>& probes) {
    for (const auto& key : probes) {
      auto found = model.find(key);
      EXPECT_EQ(Get(key, snapshot),
                found == model.end() ? std::nullopt : std::optional<std::string>(found->second))
          << key;
    }
    rocksdb::ReadOptions read;
    read.snapshot = snapshot;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read));
    Model forward;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      forward[it->key().ToString()] = it->value().ToString();
    }
    EXPECT_EQ(forward, model);
    size_t backward = 0;
    auto expected = model.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++expected, ++backward) {
      ASSERT_NE(expected, model.rend());
      EXPECT_EQ(it->key().ToString(), expected->first);
    }
    EXPECT_EQ(backward, model.size());
    for (const auto& key : probes) {
      it->Seek(key);
      auto lower = model.lower_bound(key);
      ASSERT_EQ(it->Valid(), lower != model.end()) << key;
      if (it->Valid()) {
        EXPECT_EQ(it->key().ToString(), lower->first);
      }
      it->SeekForPrev(key);
      auto upper = model.upper_bound(key);
      ASSERT_EQ(it->Valid(), upper != model.begin()) << key;
      if (it->Valid()) {
        EXPECT_EQ(it->key().ToString(), std::prev(upper)->first);
      }
    }
    ASSERT_TRUE(it->status().ok());
  }

  std::filesystem::path dir_;
  std::unique_ptr<rocksdb::DB> db_;
};

// Keys that are prefixes of one another, empty, and with bytes >= 0x80.
std::string RandomKey(std::mt19937& rng) {
  static const char kAlphabet[] = {'a', 'b', '\0', '\x7f', '\x80', '\xff'};
  std::string key;
  const size_t length = rng() % 6;
  for (size_t i = 0; i < length; ++i) key.push_back(kAlphabet[rng() % sizeof kAlphabet]);
  return key;
}

TEST_F(MemTableTest, RandomWritesMatchAModelAtEverySnapshot) {
  Open();
  std::mt19937 rng(20261207);
  Model model;
  std::vector<std::pair<const rocksdb::Snapshot*, Model>> snapshots;
  std::vector<std::string> probes = {"", std::string(6, '\xff')};  // before and after all
  for (int i = 0; i < 300; ++i) probes.push_back(RandomKey(rng));
  for (int op = 0; op < 20000; ++op) {
    const std::string key = RandomKey(rng);
    const int kind = static_cast<int>(rng() % 10);
    if (kind < 6) {
      const std::string value = "v" + std::to_string(op);
      ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), key, value).ok());
      model[key] = value;
    } else if (kind < 8) {
      ASSERT_TRUE(db_->Delete(rocksdb::WriteOptions(), key).ok());
      model.erase(key);
    } else if (kind < 9) {  // a batch writing one key several times, and others
      rocksdb::WriteBatch batch;
      for (int j = 0; j < 4; ++j) {
        const std::string value = "b" + std::to_string(op) + "." + std::to_string(j);
        const std::string other = j % 2 == 0 ? key : RandomKey(rng);
        ASSERT_TRUE(batch.Put(other, value).ok());
        model[other] = value;
      }
      ASSERT_TRUE(db_->Write(rocksdb::WriteOptions(), &batch).ok());
    } else if (op % 97 == 0) {
      snapshots.emplace_back(db_->GetSnapshot(), model);
    }
  }
  ExpectMatches(model, nullptr, probes);
  for (const auto& [snapshot, then] : snapshots) ExpectMatches(then, snapshot, probes);
  // A flush reads the memtable out in order into a table file.
  ASSERT_TRUE(db_->Flush(rocksdb::FlushOptions()).ok());
  ExpectMatches(model, nullptr, probes);
  for (const auto& [snapshot, then] : snapshots) {
    ExpectMatches(then, snapshot, probes);
    db_->ReleaseSnapshot(snapshot);
  }
  EXPECT_GT(snapshots.size(), 3u);
}

TEST_F(MemTableTest, AnotherComparatorKeepsItsOrder) {
  Open(rocksdb::ReverseBytewiseComparator());
  for (const char* key : {"b", "a", "c", "ab", ""}) {
    ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), key, key).ok());
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  std::vector<std::string> keys;
  for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
  EXPECT_EQ(keys, (std::vector<std::string>{"c", "b", "ab", "a", ""}));
  EXPECT_EQ(Get("ab"), "ab");
}

TEST_F(MemTableTest, AppendsAndEstimates) {
  Open();
  constexpr int kKeys = 20000;
  char key[16];
  for (int i = 0; i < kKeys; ++i) {  // in key order, as the change log is written
    snprintf(key, sizeof key, "k%08d", i);
    ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), key, "v").ok());
  }
  uint64_t count = 0;
  uint64_t bytes = 0;
  const rocksdb::Range all("k", "l");
  db_->GetApproximateMemTableStats(db_->DefaultColumnFamily(), all, &count, &bytes);
  EXPECT_GT(count, kKeys / 4u);
  EXPECT_LT(count, kKeys * 4u);
  const rocksdb::Range half("k00010000", "l");
  uint64_t half_count = 0;
  db_->GetApproximateMemTableStats(db_->DefaultColumnFamily(), half, &half_count, &bytes);
  EXPECT_LT(half_count, count);
  EXPECT_GT(half_count, 0u);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  int seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    snprintf(key, sizeof key, "k%08d", seen++);
    ASSERT_EQ(it->key().ToString(), key);
  }
  EXPECT_EQ(seen, kKeys);
}

// Enough random keys that inserts start from the writer's index of tall nodes: keys longer
// than its 16-byte prefixes and sharing them (as a table's items share their table id), keys
// that end inside the prefix, appends in between (the change log's pattern), overwrites, under
// the bytewise order and another one.
void IndexedInserts(rocksdb::DB* db, std::mt19937& rng, std::map<std::string, std::string>* model,
                    int ops) {
  const std::string shared = "table-0000000001/";  // 17 bytes: longer than the prefix
  int appended = 0;
  for (int op = 0; op < ops; ++op) {
    std::string key;
    switch (rng() % 4) {
      case 0: key = shared + std::to_string(rng() % 5000); break;
      case 1: key = shared.substr(0, rng() % 18) + RandomKey(rng); break;
      case 2: {
        char append[24];
        snprintf(append, sizeof append, "zz-log-%012d", appended++);
        key = append;
        break;
      }
      default: key = RandomKey(rng) + std::to_string(rng() % 100);
    }
    const std::string value = "v" + std::to_string(op);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, value).ok());
    (*model)[key] = value;
  }
}

TEST_F(MemTableTest, IndexedInsertsKeepTheOrder) {
  Open();
  std::mt19937 rng(20261208);
  Model model;
  IndexedInserts(db_.get(), rng, &model, 40000);
  std::vector<std::string> probes = {"", "table-0000000001/", "table-0000000001/4",
                                     std::string(20, '\xff')};
  for (int i = 0; i < 200; ++i) probes.push_back(RandomKey(rng));
  ExpectMatches(model, nullptr, probes);
}

TEST_F(MemTableTest, IndexedInsertsKeepAnotherOrder) {
  Open(rocksdb::ReverseBytewiseComparator());
  std::mt19937 rng(8);
  Model model;
  IndexedInserts(db_.get(), rng, &model, 20000);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  auto expected = model.rbegin();
  size_t seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected, ++seen) {
    ASSERT_NE(expected, model.rend());
    ASSERT_EQ(it->key().ToString(), expected->first);
    ASSERT_EQ(it->value().ToString(), expected->second);
  }
  EXPECT_EQ(seen, model.size());
}
// The store writes each group's item puts sorted by key in one batch: after the first, each
// key of a batch is placed either in the gap after the one before it (when no other key lies
// between) or from the index. Many batches of sorted random keys, overwrites and keys that
// share the 16-byte prefixes, in between keys already present.
TEST_F(MemTableTest, SortedBatchesLandInTheirGaps) {
  Open();
  std::mt19937 rng(8122026);
  Model model;
  const std::string shared = "table-0000000001/";
  for (int batch = 0; batch < 3000; ++batch) {
    std::set<std::string> keys;
    const size_t size = 1 + rng() % 30;
    while (keys.size() < size) {
      switch (rng() % 3) {
        case 0: keys.insert(shared + std::to_string(rng() % 20000)); break;
        case 1: keys.insert(shared + std::to_string(rng() % 20000) + "/" + RandomKey(rng)); break;
        default: keys.insert(RandomKey(rng) + std::to_string(rng() % 1000)); break;
      }
    }
    rocksdb::WriteBatch write;
    for (const auto& key : keys) {
      const std::string value = "b" + std::to_string(batch);
      ASSERT_TRUE(write.Put(key, value).ok());
      model[key] = value;
    }
    ASSERT_TRUE(db_->Write(rocksdb::WriteOptions(), &write).ok());
  }
  std::vector<std::string> probes = {"", shared, shared + "1", std::string(20, '\xff')};
  for (int i = 0; i < 300; ++i) probes.push_back(shared + std::to_string(rng() % 20000));
  for (int i = 0; i < 100; ++i) probes.push_back(RandomKey(rng));
  ExpectMatches(model, nullptr, probes);
}

// One writer (RocksDB serializes them) while readers iterate and look up: each reader sees
// every key written before it started, in order.
TEST_F(MemTableTest, ReadersRaceTheWriter) {
  Open();
  constexpr int kKeys = 30000;
  std::vector<int> order(kKeys);
  for (int i = 0; i < kKeys; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  std::atomic<int> written{0};
  std::atomic<bool> failed{false};
  auto key_of = [](int i) {
    char key[16];
    snprintf(key, sizeof key, "%08d", i);
    return std::string(key);
  };
  std::vector<std::thread> readers;
  readers.reserve(2);
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      std::mt19937 rng(r);
      while (written.load() < kKeys && !failed.load()) {
        const int before = written.load();
        if (before > 0) {
          std::string value;
          const int i = order[rng() % before];
          if (!db_->Get(rocksdb::ReadOptions(), key_of(i), &value).ok()) failed = true;
        }
        std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
        int seen = 0;
        std::string last;
        for (it->SeekToFirst(); it->Valid(); it->Next(), ++seen) {
          if (seen > 0 && it->key().ToString() <= last) failed = true;
          last = it->key().ToString();
        }
        if (seen < before) failed = true;
      }
    });
  }
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), key_of(order[i]), "v").ok());
    written.store(i + 1);
  }
  for (auto& t : readers) t.join();
  EXPECT_FALSE(failed.load());
}

}  // namespace
}  // namespace meridian::store
