// Test tool: damages a stopped region's replica directly in RocksDB, bypassing the store,
// the change log and replication, so anti-entropy tests have something to find.
//
//   meridian-store-damage DATA_DIR TABLE DELETE_EVERY [CORRUPT_EVERY]
//
// Deletes every DELETE_EVERY-th item of TABLE (in key order; 0 = none) and, for lww tables,
// rewrites every CORRUPT_EVERY-th remaining one with an extra attribute "damaged" while
// keeping its version vector (0 = none). Prints "deleted=N corrupted=M".
#include <rocksdb/db.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "conflict/version_codec.h"
#include "model/key_codec.h"
#include "store/table_info.h"

using namespace meridian;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s DATA_DIR TABLE DELETE_EVERY [CORRUPT_EVERY]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1], table = argv[2];
  const long delete_every = std::atol(argv[3]);
  const long corrupt_every = argc > 4 ? std::atol(argv[4]) : 0;
  rocksdb::Options options;
  // Every column family the store has (opening needs them all).
  std::vector<std::string> names;
  if (auto listed = rocksdb::DB::ListColumnFamilies(options, dir, &names); !listed.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), listed.ToString().c_str());
    return 1;
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  cfs.reserve(names.size());
  for (const auto& name : names) cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, dir, cfs, &handles, &raw);
  if (!s.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), s.ToString().c_str());
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  auto handle = [&](const char* name) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return handles[i];
    }
    std::fprintf(stderr, "no column family %s\n", name);
    std::exit(1);
  };
  rocksdb::ColumnFamilyHandle* const catalog = handle("catalog");
  rocksdb::ColumnFamilyHandle* const items_cf = handle("items");
  std::string value;
  if (!db->Get(rocksdb::ReadOptions(), catalog, table, &value).ok()) {
    std::fprintf(stderr, "no table %s\n", table.c_str());
    return 1;
  }
  auto info = store::DecodeTableInfo(value);
  if (!info.ok()) return 1;
  const std::string prefix = model::TablePrefix(info->table_id);
  const std::string end = model::TablePrefix(info->table_id + 1);
  std::vector<std::pair<std::string, std::string>> items;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), items_cf));
  for (it->Seek(prefix); it->Valid() && it->key().compare(end) < 0; it->Next()) {
    items.emplace_back(it->key().ToString(), it->value().ToString());
  }
  long deleted = 0, corrupted = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (delete_every > 0 && i % delete_every == 0) {
      db->Delete(rocksdb::WriteOptions(), items_cf, items[i].first);
      ++deleted;
    } else if (corrupt_every > 0 && i % corrupt_every == 1) {
      auto version = conflict::DecodeItemVersion(items[i].second);
      if (!version.ok() || version->policy != conflict::ConflictPolicy::kLww || version->tombstone)
        continue;
      version->item["damaged"] = model::AttributeValue::S("yes");
      db->Put(rocksdb::WriteOptions(), items_cf, items[i].first,
              conflict::EncodeItemVersion(*version));
      ++corrupted;
    }
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  std::printf("deleted=%ld corrupted=%ld\n", deleted, corrupted);
  return 0;
}
