// The lww policy's rules: the worked examples of docs/conflicts.md.
#include <gtest/gtest.h>

#include "conflict_two_regions.h"

namespace meridian::conflict::testing {
namespace {

using Op = AttributeOp;

class LwwPolicy : public ::testing::Test {
 protected:
  Regions r_{ConflictPolicy::kLww, 2};
  void Seed(Item item) {
    r_.Put(0, std::move(item), 1000);
    r_.Sync();
  }
};

TEST_F(LwwPolicy, ConcurrentPutsHigherTimestampWinsWholeItem) {
  Seed({{"name", S("lamp")}});
  r_.Put(0, {{"name", S("lamp")}, {"price", N("12")}}, 2005);
  r_.Put(1, {{"name", S("bulb")}, {"color", S("red")}}, 2001);
  std::vector<ConflictRecord> records = r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"name", S("lamp")}, {"price", N("12")}}));
  ASSERT_EQ(records.size(), 1u);  // only the first exchange is concurrent
  EXPECT_EQ(records[0].rule, ConflictRule::kLwwHigherTimestamp);
  EXPECT_EQ(records[0].policy, ConflictPolicy::kLww);
  // eu-west received us-east's version: the remote won.
  EXPECT_EQ(records[0].winner, ConflictWinner::kRemote);
  EXPECT_EQ(records[0].remote.dot, (Dot{1, 2}));
  EXPECT_EQ(records[0].local.item.at("color"), S("red"));
  EXPECT_EQ(records[0].merged.vector.ToString(), "{1:2,2:1}");
}

TEST_F(LwwPolicy, UpdatesReplaceTheWholeItemToo) {
  Seed({{"a", S("1")}, {"b", S("1")}});
  r_.Update(0, {Op::Set("a", S("2"))}, 2000);
  r_.Update(1, {Op::Set("b", S("2"))}, 2001);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"a", S("1")}, {"b", S("2")}}));  // us-east's change is lost
}

TEST_F(LwwPolicy, EqualTimestampsBreakTiesByRegionId) {
  Seed({{"v", S("0")}});
  r_.Update(0, {Op::Set("v", S("east"))}, 2000);
  r_.Update(1, {Op::Set("v", S("west"))}, 2000);
  std::vector<ConflictRecord> records = r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"v", S("west")}}));
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records[0].rule, ConflictRule::kLwwRegionTieBreak);
}

TEST_F(LwwPolicy, DeleteIsATombstoneThatCanWin) {
  Seed({{"v", S("0")}});
  r_.Delete(0, 2005);
  r_.Update(1, {Op::Set("v", S("1"))}, 2001);
  r_.Sync();
  EXPECT_TRUE(r_[1].version.tombstone);
  EXPECT_EQ(Materialize(r_[1].version), Item{});
  EXPECT_EQ(r_[1].version.vector.ToString(), "{1:2,2:1}");  // the tombstone keeps the vector
}

TEST_F(LwwPolicy, DeleteCanLoseToALaterUpdate) {
  Seed({{"v", S("0")}, {"w", S("0")}});
  r_.Delete(0, 2000);
  r_.Update(1, {Op::Set("v", S("1"))}, 2001);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"v", S("1")}, {"w", S("0")}}));  // the item comes back whole
}

TEST_F(LwwPolicy, CausallyLaterWriteAlwaysReplacesEvenWithASlowerClock) {
  Seed({{"v", S("0")}});
  r_.Update(0, {Op::Set("v", S("1"))}, 9000);  // us-east's clock runs ahead
  r_.Sync();
  // eu-west's clock says 2000, but it saw the 9000 write: its write gets 9000.1.
  const ItemVersion& w = r_.Update(1, {Op::Set("v", S("2"))}, 2000);
  EXPECT_EQ(w.hlc, Hlc::FromParts(9000, 1));
  RemoteMergeResult m = r_.Deliver(0, w);
  EXPECT_EQ(m.action, MergeAction::kReplaced);
  EXPECT_FALSE(m.conflict.has_value());
  EXPECT_EQ(r_.Visible(), (Item{{"v", S("2")}}));
}

TEST_F(LwwPolicy, StaleAndRepeatedDeliveriesAreSkipped) {
  Seed({{"v", S("0")}});
  const ItemVersion old = r_[0].version;
  r_.Update(0, {Op::Set("v", S("1"))}, 2000);
  r_.Sync();
  EXPECT_EQ(r_.Deliver(1, old).action, MergeAction::kSkipped);
  EXPECT_EQ(r_.Deliver(1, r_[0].version).action, MergeAction::kSkipped);
  EXPECT_EQ(r_.Visible(1), (Item{{"v", S("1")}}));
}

TEST_F(LwwPolicy, MixingPoliciesIsAnError) {
  Seed({{"v", S("0")}});
  Regions m(ConflictPolicy::kMerge, 1);
  m.Put(0, {{"v", S("1")}}, 1000);
  EXPECT_EQ(MergeRemote(r_[0].version, m[0].version).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(Join(r_[0].version, m[0].version).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ApplyLocalWrite(r_[0].version, ConflictPolicy::kMerge, LocalWrite::Delete(), Dot{1, 99},
                            Hlc::FromParts(5000, 0))
                .status()
                .code(),
            Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace meridian::conflict::testing
