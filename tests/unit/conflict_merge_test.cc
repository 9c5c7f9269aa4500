// The merge policy's rules, one test per rule and worked example of docs/conflicts.md.
// Region 0 is "us-east" (id 1), region 1 is "eu-west" (id 2), region 2 "ap-south" (id 3).
#include <gtest/gtest.h>

#include "conflict_two_regions.h"

namespace meridian::conflict::testing {
namespace {

using Op = AttributeOp;

class MergePolicy : public ::testing::Test {
 protected:
  Regions r_{ConflictPolicy::kMerge, 2};
  void Seed(Item item) {  // the same item everywhere, written in us-east at t=1000
    r_.Put(0, std::move(item), 1000);
    r_.Sync();
  }
};

TEST_F(MergePolicy, ConcurrentUpdatesOfDifferentAttributesBothSurvive) {
  Seed({{"name", S("lamp")}, {"price", N("10")}});
  r_.Update(0, {Op::Set("price", N("12"))}, 2000);
  r_.Update(1, {Op::Set("color", S("red"))}, 2001);
  std::vector<ConflictRecord> records = r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"name", S("lamp")}, {"price", N("12")}, {"color", S("red")}}));
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records[0].rule, ConflictRule::kMergeAttributes);
  EXPECT_EQ(records[0].winner, ConflictWinner::kMerged);
}

TEST_F(MergePolicy, ConcurrentSetsOfOneAttributeLastWriterWins) {
  Seed({{"price", N("10")}});
  r_.Update(0, {Op::Set("price", N("12"))}, 2005);
  r_.Update(1, {Op::Set("price", N("11"))}, 2001);
  std::vector<ConflictRecord> records = r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"price", N("12")}}));
  ASSERT_FALSE(records.empty());
  ASSERT_EQ(records[0].attributes.size(), 1u);
  EXPECT_EQ(records[0].attributes[0],
            (std::pair<std::string, AttributeRule>{"price", AttributeRule::kRegisterLww}));
}

TEST_F(MergePolicy, EqualTimestampsBreakTiesByRegionId) {
  Seed({{"price", N("10")}});
  r_.Update(0, {Op::Set("price", N("12"))}, 2000);
  r_.Update(1, {Op::Set("price", N("11"))}, 2000);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"price", N("11")}}));  // eu-west has the higher id
}

TEST_F(MergePolicy, ConcurrentIncrementsAllCount) {
  Seed({{"views", N("10")}});
  r_.Update(0, {Op::CounterAdd("views", Num("1"))}, 2000);
  r_.Update(1, {Op::CounterAdd("views", Num("2"))}, 2000);
  r_.Update(1, {Op::CounterAdd("views", Num("2"))}, 2001);
  std::vector<ConflictRecord> records = r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"views", N("15")}}));
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records[0].attributes[0].second, AttributeRule::kCounterSum);
}

TEST_F(MergePolicy, IncrementsAreExactDecimals) {
  Seed({{"balance", N("0")}});
  r_.Update(0, {Op::CounterAdd("balance", Num("0.1"))}, 2000);
  r_.Update(1, {Op::CounterAdd("balance", Num("0.2"))}, 2000);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"balance", N("0.3")}}));
}

TEST_F(MergePolicy, IncrementOnMissingAttributeStartsFromZero) {
  Seed({{"name", S("lamp")}});
  r_.Update(0, {Op::CounterAdd("views", Num("1"))}, 2000);
  r_.Update(1, {Op::CounterAdd("views", Num("1"))}, 2000);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"name", S("lamp")}, {"views", N("2")}}));
}

TEST_F(MergePolicy, SetAfterAddsResetsTheCounter) {
  Seed({{"views", N("10")}});
  r_.Update(0, {Op::CounterAdd("views", Num("5"))}, 2000);
  r_.Update(0, {Op::Set("views", N("0"))}, 2001);  // a reset in the same region
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"views", N("0")}}));
  r_.Update(1, {Op::CounterAdd("views", Num("1"))}, 3000);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"views", N("1")}}));
}

TEST_F(MergePolicy, IncrementConcurrentWithSetCountsOnTop) {
  Seed({{"views", N("10")}});
  r_.Update(0, {Op::Set("views", N("0"))}, 2000);           // us-east resets
  r_.Update(1, {Op::CounterAdd("views", Num("3"))}, 2500);  // eu-west, unseen by the reset
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"views", N("3")}}));  // 0 + 3, regardless of timestamps
}

TEST_F(MergePolicy, ConcurrentSetsWithIncrementSeenByOnlyTheLoser) {
  Regions r(ConflictPolicy::kMerge, 3);
  r.Put(0, {{"views", N("10")}}, 1000);
  r.Sync();
  r.Update(2, {Op::CounterAdd("views", Num("2"))}, 2000);  // ap-south: +2
  r.Deliver(0, r[2].version);                              // only us-east sees it
  r.Update(0, {Op::Set("views", N("100"))}, 2100);         // us-east: SET 100 (saw +2)
  r.Update(1, {Op::Set("views", N("50"))}, 2200);          // eu-west: SET 50 (did not), wins
  r.Sync();
  // The +2 happened before us-east's SET, which happened "before" eu-west's winning SET:
  // it was consumed. 50, not 52.
  EXPECT_EQ(r.Visible(), (Item{{"views", N("50")}}));
}

TEST_F(MergePolicy, RemoveConcurrentWithIncrementKeepsTheUnseenIncrement) {
  Seed({{"views", N("10")}});
  r_.Update(0, {Op::Remove("views")}, 2000);
  r_.Update(1, {Op::CounterAdd("views", Num("1"))}, 2000);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"views", N("1")}}));
}

TEST_F(MergePolicy, ConcurrentAddAndDeleteOfOneMemberAddWins) {
  Seed({{"tags", SS({"red", "blue"})}});
  r_.Update(0, {Op::SetRemove("tags", SS({"red"}))}, 2000);
  r_.Update(1, {Op::SetAdd("tags", SS({"red", "green"}))}, 2000);
  std::vector<ConflictRecord> records = r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"tags", SS({"blue", "green", "red"})}}));
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records[0].attributes[0].second, AttributeRule::kAddWinsSet);
}

TEST_F(MergePolicy, ConcurrentDeletesOfDifferentMembersBothApply) {
  Seed({{"tags", SS({"red", "blue", "green"})}});
  r_.Update(0, {Op::SetRemove("tags", SS({"red"}))}, 2000);
  r_.Update(1, {Op::SetRemove("tags", SS({"blue"}))}, 2000);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"tags", SS({"green"})}}));
}

TEST_F(MergePolicy, DeletesThatTogetherEmptyASetLeaveItAbsent) {
  Seed({{"tags", SS({"red", "blue"})}});
  r_.Update(0, {Op::SetRemove("tags", SS({"red"}))}, 2000);
  r_.Update(1, {Op::SetRemove("tags", SS({"blue"}))}, 2000);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), Item{});
  // And the attribute then behaves as absent for every op, whatever state is left over.
  r_.Update(0, {Op::CounterAdd("tags", Num("5"))}, 3000);
  EXPECT_EQ(r_.Visible(), (Item{{"tags", N("5")}}));
}

TEST_F(MergePolicy, AbsentAttributeWithHiddenMembersActsAbsent) {
  Seed({{"tags", SS({"red", "blue"})}});
  r_.Update(0, {Op::SetRemove("tags", SS({"red"}))}, 2000);
  r_.Update(1, {Op::SetRemove("tags", SS({"blue"}))}, 2000);
  r_.Sync();
  r_.Update(1, {Op::SetAdd("tags", NS({"7"}))}, 3000);
  EXPECT_EQ(r_.Visible(1), (Item{{"tags", NS({"7"})}}));
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"tags", NS({"7"})}}));
}

TEST_F(MergePolicy, DeletingTheLastMemberHidesNothingBehindIt) {
  Seed({{"name", S("lamp")}});
  r_.Update(0, {Op::SetAdd("x", SS({"p"}))}, 2000);  // concurrent ADDs of two set types
  r_.Update(1, {Op::SetAdd("x", NS({"1"}))}, 2000);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"name", S("lamp")}, {"x", SS({"p"})}}));  // SS before NS
  r_.Update(0, {Op::SetRemove("x", SS({"p"}))}, 3000);
  EXPECT_EQ(r_.Visible(0), (Item{{"name", S("lamp")}}));  // as DynamoDB: the set is gone
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"name", S("lamp")}}));
}

TEST_F(MergePolicy, SetOfASetReplacesOnlyWhatItSaw) {
  Seed({{"tags", SS({"red"})}});
  r_.Update(0, {Op::Set("tags", SS({"blue"}))}, 2000);
  r_.Update(1, {Op::SetAdd("tags", SS({"green"}))}, 2000);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"tags", SS({"blue", "green"})}}));
}

TEST_F(MergePolicy, RemoveConcurrentWithUnseenSetKeepsTheSet) {
  Seed({{"color", S("blue")}});
  r_.Update(0, {Op::Remove("color")}, 2500);
  r_.Update(1, {Op::Set("color", S("green"))}, 2000);  // older clock, still survives
  std::vector<ConflictRecord> records = r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"color", S("green")}}));
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records[0].attributes[0].second, AttributeRule::kKeptUnseen);
}

TEST_F(MergePolicy, RemoveOfAnUntouchedAttributeApplies) {
  Seed({{"color", S("blue")}, {"size", S("M")}});
  r_.Update(0, {Op::Remove("color")}, 2000);
  r_.Update(1, {Op::Set("size", S("L"))}, 2000);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"size", S("L")}}));
}

TEST_F(MergePolicy, DeleteItemConcurrentWithUpdateKeepsOnlyTheUnseenUpdate) {
  Seed({{"status", S("new")}, {"views", N("10")}, {"note", S("x")}});
  r_.Delete(0, 2000);
  r_.Update(1, {Op::Set("status", S("shipped")), Op::CounterAdd("views", Num("1"))}, 1500);
  r_.Sync();
  // The key comes back with the update (it re-asserts it); `note` was seen by the delete.
  EXPECT_EQ(Materialize(r_[0].version),
            (Item{{"pk", S("k")}, {"status", S("shipped")}, {"views", N("1")}}));
  EXPECT_FALSE(r_[0].version.tombstone);
}

TEST_F(MergePolicy, DeleteItemSeenByEveryoneStaysDeleted) {
  Seed({{"status", S("new")}});
  r_.Delete(0, 2000);
  r_.Sync();
  EXPECT_TRUE(r_[1].version.tombstone);
  EXPECT_EQ(Materialize(r_[1].version), Item{});
}

TEST_F(MergePolicy, PutItemConcurrentWithUpdateOfAnotherAttribute) {
  Seed({{"a", S("1")}, {"b", S("1")}});
  r_.Put(0, {{"a", S("2")}}, 2000);            // replaces the item: b removed
  r_.Update(1, {Op::Set("c", S("3"))}, 2000);  // unseen by the put: survives
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"a", S("2")}, {"c", S("3")}}));
}

TEST_F(MergePolicy, TypeConflictSetBeatsIncrementsOfAnotherType) {
  Seed({{"name", S("lamp")}});
  r_.Update(0, {Op::Set("level", S("high"))}, 2000);
  r_.Update(1, {Op::CounterAdd("level", Num("5"))}, 2500);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"level", S("high")}, {"name", S("lamp")}}));
  // A REMOVE that saw both clears both; the hidden +5 does not come back.
  r_.Update(0, {Op::Remove("level")}, 3000);
  r_.Update(0, {Op::CounterAdd("level", Num("1"))}, 3001);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"level", N("1")}, {"name", S("lamp")}}));
}

TEST_F(MergePolicy, TypeConflictBetweenAddsOnAMissingAttributeNumberFirst) {
  Seed({{"name", S("lamp")}});
  r_.Update(0, {Op::SetAdd("x", SS({"a"}))}, 2000);
  r_.Update(1, {Op::CounterAdd("x", Num("5"))}, 2000);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"name", S("lamp")}, {"x", N("5")}}));
}

TEST_F(MergePolicy, CounterSumBeyondDynamoDbRangeSaturates) {
  Seed({{"big", N("0")}});
  r_.Update(0, {Op::CounterAdd("big", Num("9E125"))}, 2000);
  r_.Update(1, {Op::CounterAdd("big", Num("9E125"))}, 2000);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"big", N("9.9999999999999999999999999999999999999E125")}}));
}

TEST_F(MergePolicy, CountersSurviveTotalsBeyond38Digits) {
  Seed({{"n", N("0")}});
  r_.Update(0, {Op::CounterAdd("n", Num("1E30"))}, 2000);
  r_.Update(0, {Op::Set("n", N("0"))}, 2001);
  r_.Update(0, {Op::CounterAdd("n", Num("0.001"))}, 2002);  // running total 1E30 + 0.001
  r_.Update(1, {Op::CounterAdd("n", Num("2"))}, 2000);
  r_.Sync();
  EXPECT_EQ(r_.Visible(), (Item{{"n", N("2.001")}}));
}

TEST_F(MergePolicy, ReDeliveryAndStaleVersionsAreSkipped) {
  Seed({{"views", N("1")}});
  const ItemVersion old = r_[0].version;
  r_.Update(0, {Op::CounterAdd("views", Num("1"))}, 2000);
  r_.Sync();
  EXPECT_EQ(r_.Deliver(1, old).action, MergeAction::kSkipped);
  EXPECT_EQ(r_.Deliver(1, r_[0].version).action, MergeAction::kSkipped);
  EXPECT_EQ(r_.Visible(1), (Item{{"views", N("2")}}));
}

}  // namespace
}  // namespace meridian::conflict::testing
