// Local writes show exactly what DynamoDB would, under both policies, and carry the
// metadata replication needs.
#include "conflict/local_write.h"

#include <gtest/gtest.h>

#include "conflict_test_util.h"

namespace meridian::conflict::testing {
namespace {

using Op = AttributeOp;

class LocalWriteTest : public ::testing::TestWithParam<ConflictPolicy> {
 protected:
  // Applies `write` in region 1 with the next seq; returns the status.
  Status Apply(const LocalWrite& write, uint64_t ms = 5000) {
    Result<ItemVersion> out =
        ApplyLocalWrite(v_, GetParam(), write, Dot{1, ++seq_}, Hlc::FromParts(ms, 0));
    if (!out.ok()) return out.status();
    v_ = std::move(out).value();
    return Status::Ok();
  }
  Status Update(std::vector<AttributeOp> ops) {
    return Apply(LocalWrite::Update(TestKey(), std::move(ops)));
  }
  Item Visible() const { return Materialize(v_); }

  ItemVersion v_;
  uint64_t seq_ = 0;
};

TEST_P(LocalWriteTest, PutUpdateDeleteShowDynamoDbResults) {
  ASSERT_TRUE(Apply(LocalWrite::Put({{"pk", S("k")}, {"a", S("x")}})).ok());
  EXPECT_EQ(Visible(), (Item{{"pk", S("k")}, {"a", S("x")}}));
  EXPECT_FALSE(v_.tombstone);
  ASSERT_TRUE(Update({Op::Set("b", N("1")), Op::Remove("a")}).ok());
  EXPECT_EQ(Visible(), (Item{{"pk", S("k")}, {"b", N("1")}}));
  ASSERT_TRUE(Apply(LocalWrite::Delete()).ok());
  EXPECT_EQ(Visible(), Item{});
  EXPECT_TRUE(v_.tombstone);
  EXPECT_EQ(v_.vector.ToString(), "{1:3}");
  // UpdateItem on a deleted item creates it with its key.
  ASSERT_TRUE(Update({Op::CounterAdd("n", Num("2"))}).ok());
  EXPECT_EQ(Visible(), (Item{{"pk", S("k")}, {"n", N("2")}}));
}

TEST_P(LocalWriteTest, CounterAddOnMissingAttributeIsTheDelta) {
  ASSERT_TRUE(Update({Op::CounterAdd("n", Num("-2.5"))}).ok());
  EXPECT_EQ(Visible().at("n"), N("-2.5"));
  ASSERT_TRUE(Update({Op::CounterAdd("n", Num("3"))}).ok());
  EXPECT_EQ(Visible().at("n"), N("0.5"));
  ASSERT_TRUE(Update({Op::Set("n", N("10"))}).ok());
  ASSERT_TRUE(Update({Op::CounterAdd("n", Num("1"))}).ok());
  EXPECT_EQ(Visible().at("n"), N("11"));
}

TEST_P(LocalWriteTest, SetAddAndSetRemove) {
  ASSERT_TRUE(Update({Op::SetAdd("s", SS({"a", "b"}))}).ok());
  ASSERT_TRUE(Update({Op::SetAdd("s", SS({"c"}))}).ok());
  EXPECT_EQ(Visible().at("s"), SS({"a", "b", "c"}));
  ASSERT_TRUE(Update({Op::SetRemove("s", SS({"a", "zz"}))}).ok());
  EXPECT_EQ(Visible().at("s"), SS({"b", "c"}));
  ASSERT_TRUE(Update({Op::SetRemove("s", SS({"b", "c"}))}).ok());
  EXPECT_FALSE(Visible().contains("s"));                      // emptied: absent
  ASSERT_TRUE(Update({Op::SetRemove("s", SS({"b"}))}).ok());  // on absent: no-op
  EXPECT_FALSE(Visible().contains("s"));
  ASSERT_TRUE(Update({Op::SetAdd("t", NS({"1", "2"}))}).ok());
  EXPECT_EQ(Visible().at("t"), NS({"2", "1"}));
}

TEST_P(LocalWriteTest, RejectsWhatDynamoDbRejectsAndChangesNothing) {
  ASSERT_TRUE(Update({Op::Set("a", S("x")), Op::Set("s", SS({"p"}))}).ok());
  const ItemVersion before = v_;
  const Status::Code kInvalid = Status::Code::kInvalidArgument;
  EXPECT_EQ(Update({Op::CounterAdd("a", Num("1"))}).code(), kInvalid);  // ADD to a string
  EXPECT_EQ(Update({Op::SetAdd("s", NS({"1"}))}).code(), kInvalid);     // NS into an SS
  EXPECT_EQ(Update({Op::SetRemove("a", SS({"x"}))}).code(), kInvalid);  // DELETE on a string
  EXPECT_EQ(Update({Op::SetAdd("s", S("p"))}).code(), kInvalid);        // not a set
  EXPECT_EQ(Update({Op::SetAdd("s", SS({}))}).code(), kInvalid);        // empty set
  EXPECT_EQ(Update({Op::Set("b", N("1")), Op::Remove("b")}).code(), kInvalid);  // overlap
  EXPECT_EQ(Update({Op::Set("pk", S("other"))}).code(), kInvalid);              // key attribute
  EXPECT_EQ(Update({Op::Set("n", N("9E125")), Op::CounterAdd("m", Num("1"))}).code(),
            Status::Code::kOk);
  EXPECT_EQ(Update({Op::CounterAdd("n", Num("9E125"))}).code(), kInvalid);  // overflow
  v_ = before;
  EXPECT_EQ(Visible(), (Item{{"pk", S("k")}, {"a", S("x")}, {"s", SS({"p"})}}));
}

TEST_P(LocalWriteTest, DotMustBeNewerThanStored) {
  ASSERT_TRUE(Apply(LocalWrite::Put({{"pk", S("k")}})).ok());
  EXPECT_EQ(ApplyLocalWrite(v_, GetParam(), LocalWrite::Delete(), Dot{1, 1}, Hlc()).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(ApplyLocalWrite(v_, GetParam(), LocalWrite::Delete(), Dot{2, 0}, Hlc()).status().code(),
            Status::Code::kInvalidArgument);
  // Seqs come from the region's log: gaps (other items' writes) are fine.
  EXPECT_TRUE(ApplyLocalWrite(v_, GetParam(), LocalWrite::Delete(), Dot{1, 40}, Hlc()).ok());
}

TEST_P(LocalWriteTest, TimestampNeverGoesBelowTheStoredVersion) {
  ASSERT_TRUE(Apply(LocalWrite::Put({{"pk", S("k")}}), 9000).ok());
  EXPECT_EQ(v_.hlc, Hlc::FromParts(9000, 0));
  ASSERT_TRUE(Apply(LocalWrite::Delete(), 100).ok());  // caller's clock far behind
  EXPECT_EQ(v_.hlc, Hlc::FromParts(9000, 1));
  EXPECT_EQ(v_.dot, (Dot{1, 2}));
  ASSERT_TRUE(Apply(LocalWrite::Delete(), 9500).ok());
  EXPECT_EQ(v_.hlc, Hlc::FromParts(9500, 0));
}

INSTANTIATE_TEST_SUITE_P(BothPolicies, LocalWriteTest,
                         ::testing::Values(ConflictPolicy::kLww, ConflictPolicy::kMerge),
                         [](const auto& info) { return std::string(PolicyName(info.param)); });

TEST(ConflictPolicyNames, ParseAndName) {
  EXPECT_EQ(*ParsePolicy("lww"), ConflictPolicy::kLww);
  EXPECT_EQ(*ParsePolicy("merge"), ConflictPolicy::kMerge);
  EXPECT_EQ(ParsePolicy("LWW").status().code(), Status::Code::kInvalidArgument);
  EXPECT_STREQ(PolicyName(ConflictPolicy::kMerge), "merge");
}

}  // namespace
}  // namespace meridian::conflict::testing
