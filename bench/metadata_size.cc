// Bytes of replication metadata an lww item carries (issue 20: <= 64 bytes for a
// 3-region cluster): the stored version of an item (schemas/conflict.capnp, packed, as
// RocksDB and the change log hold it) minus the same version with no metadata (an empty
// vector, a zero dot and timestamp), for items of a few shapes, with realistic sequence
// numbers (millions of writes per region) and a current timestamp.
//
//   build/bin/metadata_size
#include <chrono>
#include <cstdio>

#include "conflict/item_version.h"
#include "conflict/version_codec.h"

using meridian::conflict::ConflictPolicy;
using meridian::conflict::Dot;
using meridian::conflict::Hlc;
using meridian::conflict::ItemVersion;
using meridian::conflict::VersionVector;
using meridian::model::AttributeValue;
using meridian::model::Item;
using meridian::model::Number;

namespace {

size_t Encoded(const ItemVersion& v) { return meridian::conflict::EncodeItemVersion(v).size(); }

ItemVersion Version(const Item& item, int regions) {
  ItemVersion v;
  v.policy = ConflictPolicy::kLww;
  v.tombstone = false;
  v.item = item;
  std::vector<VersionVector::Entry> entries;
  for (int r = 1; r <= regions; ++r) {
    entries.push_back(
        {static_cast<uint32_t>(r), 4'000'000u + 1'234'567u * static_cast<uint64_t>(r)});
  }
  v.vector = VersionVector::FromEntries(entries);
  v.dot = Dot{2, entries[1 % entries.size()].seq};
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  v.hlc = Hlc::FromParts(static_cast<uint64_t>(now), 3);
  return v;
}

// The same item with every metadata field at its zero value (what packing makes smallest).
ItemVersion Bare(const Item& item) {
  ItemVersion v;
  v.policy = ConflictPolicy::kLww;
  v.tombstone = false;
  v.item = item;
  return v;
}

}  // namespace

int main() {
  const Item shapes[] = {
      {{"pk", AttributeValue::S("k000123")}},
      {{"pk", AttributeValue::S("k000123")},
       {"val", AttributeValue::S(std::string(100, 'x'))},
       {"n", AttributeValue::N(*Number::Parse("42"))}},
      {{"pk", AttributeValue::S("user#8831")},
       {"sk", AttributeValue::S("order#2026-12-07")},
       {"total", AttributeValue::N(*Number::Parse("199.95"))},
       {"tags", AttributeValue::SS({"gift", "express"})}},
  };
  std::printf("%-10s %-8s %12s %12s %10s\n", "item", "regions", "stored", "bare item", "metadata");
  int i = 0;
  for (const Item& item : shapes) {
    for (int regions : {1, 3, 5}) {
      const size_t with = Encoded(Version(item, regions));
      const size_t bare = Encoded(Bare(item));
      std::printf("shape %-4d %-8d %12zu %12zu %10zu\n", i, regions, with, bare, with - bare);
    }
    ++i;
  }
  return 0;
}
