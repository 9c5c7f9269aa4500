// Two (or three) regions writing one item by hand, for the worked examples of
// docs/conflicts.md: explicit HLC milliseconds, explicit deliveries.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "conflict_test_util.h"

namespace meridian::conflict::testing {

struct Region {
  RegionId id = 0;
  ItemVersion version;
  uint64_t seq = 0;
};

class Regions {
 public:
  Regions(ConflictPolicy policy, int count) : policy_(policy) {
    for (int i = 0; i < count; ++i)
      regions_.push_back(Region{static_cast<RegionId>(i + 1), ItemVersion(), 0});
  }

  Region& operator[](int i) { return regions_[i]; }

  // A write in region i at HLC (ms, 0). Fails the test if it is rejected.
  const ItemVersion& Write(int i, const LocalWrite& write, uint64_t ms) {
    Region& r = regions_[i];
    Result<ItemVersion> out =
        ApplyLocalWrite(r.version, policy_, write, Dot{r.id, ++r.seq}, Hlc::FromParts(ms, 0));
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    if (out.ok()) r.version = std::move(out).value();
    return r.version;
  }
  const ItemVersion& Put(int i, Item item, uint64_t ms) {
    for (const auto& [k, v] : TestKey()) item.insert_or_assign(k, v);
    return Write(i, LocalWrite::Put(std::move(item)), ms);
  }
  const ItemVersion& Update(int i, std::vector<AttributeOp> ops, uint64_t ms) {
    return Write(i, LocalWrite::Update(TestKey(), std::move(ops)), ms);
  }
  const ItemVersion& Delete(int i, uint64_t ms) { return Write(i, LocalWrite::Delete(), ms); }

  // Region `to` applies `version` (as if its change-log record arrived).
  RemoteMergeResult Deliver(int to, const ItemVersion& version) {
    Result<RemoteMergeResult> m = MergeRemote(regions_[to].version, version);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (!m.ok()) return {};
    regions_[to].version = m->version;
    return std::move(m).value();
  }

  // Every region sends its current version to every other; all must then be identical.
  // Returns the conflict records produced, in delivery order.
  std::vector<ConflictRecord> Sync() {
    std::vector<ConflictRecord> records;
    for (int round = 0; round < 2; ++round) {
      for (size_t from = 0; from < regions_.size(); ++from) {
        for (size_t to = 0; to < regions_.size(); ++to) {
          if (from == to) continue;
          RemoteMergeResult m = Deliver(static_cast<int>(to), regions_[from].version);
          if (m.conflict) records.push_back(*m.conflict);
        }
      }
    }
    for (const Region& r : regions_) {
      EXPECT_EQ(EncodeItemVersion(r.version), EncodeItemVersion(regions_[0].version))
          << "region " << r.id << " diverged";
    }
    return records;
  }

  // The item every region shows (after Sync), without the key.
  Item Visible(int i = 0) const {
    Item item = Materialize(regions_[i].version);
    item.erase("pk");
    return item;
  }

 private:
  ConflictPolicy policy_;
  std::vector<Region> regions_;
};

}  // namespace meridian::conflict::testing
