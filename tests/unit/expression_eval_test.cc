// Condition evaluation (every operator and function) and projection.
#include <string>

#include <gtest/gtest.h>

#include "model/expression.h"
#include "tests/unit/expression_test_util.h"

namespace meridian::model::expr::test {
namespace {

class ConditionEvalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    item_ = Item{
        {"s", S("banana")},
        {"n", N("10")},
        {"b", B(std::string("\x01\x80\xff", 3))},
        {"t", Bool(true)},
        {"f", Bool(false)},
        {"z", Null()},
        {"ss", SS({"apple", "pear"})},
        {"ns", NS({"1", "2.5"})},
        {"bs", BS({"\x01", "\x02"})},
        {"l", L({S("x"), N("7"), M({{"k", S("v")}})})},
        {"m", M({{"inr", M({{"deep", N("3")}})}, {"lst", L({N("1"), N("2")})}})},
        {"emoji", S("\xC3\xA9\xF0\x9D\x84\x9E")},  // "é𝄞": 3 UTF-16 code units, 6 bytes
    };
    env_.Value(":banana", S("banana")).Value(":ban", S("ban")).Value(":nana", S("nana"));
    env_.Value(":apple", S("apple"))
        .Value(":app", S("app"))
        .Value(":plum", S("plum"))
        .Value(":x", S("x"));
    env_.Value(":a", S("a")).Value(":c", S("c")).Value(":B", S("B")).Value(":z", S("z"));
    env_.Value(":e_acute", S("\xC3\xA9"));
    env_.Value(":9", N("9"))
        .Value(":10", N("10"))
        .Value(":ten_point_0", N("10.0"))
        .Value(":11", N("11"));
    env_.Value(":1", N("1"))
        .Value(":2", N("2"))
        .Value(":two_and_half", N("2.50"))
        .Value(":3", N("3"));
    env_.Value(":6", N("6")).Value(":100", N("100"));
    env_.Value(":b01", B("\x01")).Value(":b7f", B("\x7f")).Value(":b80", B("\x80"));
    env_.Value(":bfull", B(std::string("\x01\x80\xff", 3)));
    env_.Value(":true", Bool(true)).Value(":false", Bool(false)).Value(":null", Null());
    env_.Value(":seven", N("7")).Value(":kv", M({{"k", S("v")}}));
    env_.Value(":ss", SS({"apple", "pear"})).Value(":list12", L({N("1"), N("2")}));
    for (const char* t : {"S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"}) {
      env_.Value(std::string(":type_") + t, S(t));
    }
    env_.Name("#deep", "deep");
  }

  bool Eval(std::string_view text) {
    auto cond = ParseCondition(text, "ConditionExpression", env_.ctx);
    EXPECT_TRUE(cond.ok()) << text << ": " << cond.status().message();
    if (!cond.ok()) return false;
    auto r = EvaluateCondition(**cond, item_);
    EXPECT_TRUE(r.ok());
    return r.ok() && *r;
  }

  Item item_;
  Env env_;
};

TEST_F(ConditionEvalTest, Equality) {
  EXPECT_TRUE(Eval("s = :banana"));
  EXPECT_FALSE(Eval("s = :ban"));
  EXPECT_TRUE(Eval("n = :ten_point_0"));  // numbers compare by value
  EXPECT_TRUE(Eval("n <> :9"));
  EXPECT_TRUE(Eval("t = :true"));
  EXPECT_TRUE(Eval("z = :null"));
  EXPECT_TRUE(Eval("ss = :ss"));
  EXPECT_TRUE(Eval("m.lst = :list12"));
  EXPECT_TRUE(Eval("l[2] = :kv"));
  EXPECT_TRUE(Eval(":banana = s"));
  EXPECT_TRUE(Eval("s <> n"));
  // Different types are never equal; an absent attribute is never equal but always <>.
  EXPECT_FALSE(Eval("n = :banana"));
  EXPECT_FALSE(Eval("absent = :banana"));
  EXPECT_TRUE(Eval("absent <> :banana"));
  EXPECT_FALSE(Eval("absent = other_absent"));
}

TEST_F(ConditionEvalTest, Ordering) {
  EXPECT_TRUE(Eval("n > :9"));  // numerically, not as text
  EXPECT_TRUE(Eval("n < :11"));
  EXPECT_TRUE(Eval("n <= :10 AND n >= :ten_point_0"));
  EXPECT_FALSE(Eval("n < :10"));
  EXPECT_TRUE(Eval(":100 > n"));
  EXPECT_TRUE(Eval("s > :apple"));
  EXPECT_TRUE(Eval(":B < :a"));        // by bytes: 'B' (0x42) < 'a' (0x61)
  EXPECT_TRUE(Eval(":z < :e_acute"));  // by UTF-8 bytes: 'z' < 'é'
  EXPECT_TRUE(Eval(":b7f < :b80"));    // binary compares unsigned
  EXPECT_TRUE(Eval("b > :b01 AND b <= :bfull"));
  // Mismatched or unordered types compare false both ways.
  EXPECT_FALSE(Eval("s < :10"));
  EXPECT_FALSE(Eval("s >= :10"));
  EXPECT_FALSE(Eval("t > f"));  // BOOL is not ordered
  EXPECT_FALSE(Eval("ss > :apple"));
  EXPECT_FALSE(Eval("absent < :10"));
}

TEST_F(ConditionEvalTest, BetweenAndIn) {
  EXPECT_TRUE(Eval("n BETWEEN :9 AND :11"));
  EXPECT_TRUE(Eval("n BETWEEN :10 AND :10"));
  EXPECT_FALSE(Eval("n BETWEEN :11 AND :100"));
  EXPECT_TRUE(Eval("s BETWEEN :apple AND :plum"));
  EXPECT_FALSE(Eval("s BETWEEN :9 AND :11"));
  EXPECT_FALSE(Eval("absent BETWEEN :9 AND :11"));
  EXPECT_TRUE(Eval("n IN (:1, :ten_point_0)"));
  EXPECT_TRUE(Eval("s IN (:apple, :banana)"));
  EXPECT_FALSE(Eval("s IN (:apple, :plum)"));
  EXPECT_TRUE(Eval("l[1] IN (:banana, :seven)"));
  EXPECT_FALSE(Eval("absent IN (:apple)"));
  EXPECT_TRUE(Eval(":seven IN (n, l[1])"));
}

TEST_F(ConditionEvalTest, LogicalOperatorsAndPrecedence) {
  EXPECT_TRUE(Eval("s = :banana AND n = :10"));
  EXPECT_FALSE(Eval("s = :banana AND n = :9"));
  EXPECT_TRUE(Eval("s = :apple OR n = :10"));
  EXPECT_TRUE(Eval("NOT s = :apple"));
  // NOT binds tighter than AND, which binds tighter than OR.
  EXPECT_TRUE(Eval("s = :banana OR n = :9 AND n = :11"));
  EXPECT_FALSE(Eval("(s = :banana OR n = :9) AND n = :11"));
  EXPECT_TRUE(Eval("NOT s = :apple AND n = :10"));
  EXPECT_FALSE(Eval("NOT (s = :banana AND n = :10)"));
  EXPECT_TRUE(Eval("NOT s = :banana OR n = :10"));
  EXPECT_TRUE(Eval("NOT NOT s = :banana"));
}

TEST_F(ConditionEvalTest, ExistenceAndType) {
  EXPECT_TRUE(Eval("attribute_exists(s)"));
  EXPECT_TRUE(Eval("attribute_exists(m.inr.#deep)"));
  EXPECT_TRUE(Eval("attribute_exists(l[2].k)"));
  EXPECT_FALSE(Eval("attribute_exists(l[3])"));
  EXPECT_FALSE(Eval("attribute_exists(s.x)"));
  EXPECT_TRUE(Eval("attribute_exists(z)"));  // NULL is a value
  EXPECT_TRUE(Eval("attribute_not_exists(absent)"));
  EXPECT_FALSE(Eval("attribute_not_exists(n)"));
  const std::pair<const char*, const char*> types[] = {
      {"s", "S"},   {"n", "N"},   {"b", "B"},   {"t", "BOOL"}, {"z", "NULL"},
      {"ss", "SS"}, {"ns", "NS"}, {"bs", "BS"}, {"l", "L"},    {"m", "M"}};
  for (const auto& [attr, type] : types) {
    EXPECT_TRUE(Eval("attribute_type(" + std::string(attr) + ", :type_" + type + ")")) << attr;
    EXPECT_FALSE(Eval("attribute_type(" + std::string(attr) + ", :type_" +
                      (std::string(type) == "S" ? "N" : "S") + ")"))
        << attr;
  }
  EXPECT_FALSE(Eval("attribute_type(absent, :type_S)"));
}

TEST_F(ConditionEvalTest, BeginsWithAndContains) {
  EXPECT_TRUE(Eval("begins_with(s, :ban)"));
  EXPECT_TRUE(Eval("begins_with(s, :banana)"));
  EXPECT_FALSE(Eval("begins_with(s, :nana)"));
  EXPECT_TRUE(Eval("begins_with(b, :b01)"));
  EXPECT_FALSE(Eval("begins_with(b, :b80)"));
  EXPECT_FALSE(Eval("begins_with(ss, :apple)"));
  EXPECT_FALSE(Eval("begins_with(absent, :ban)"));

  EXPECT_TRUE(Eval("contains(s, :nana)"));
  EXPECT_FALSE(Eval("contains(s, :apple)"));
  EXPECT_TRUE(Eval("contains(b, :b80)"));
  EXPECT_TRUE(Eval("contains(ss, :apple)"));
  EXPECT_FALSE(Eval("contains(ss, :app)"));
  EXPECT_TRUE(Eval("contains(ns, :two_and_half)"));
  EXPECT_FALSE(Eval("contains(ns, :3)"));
  EXPECT_TRUE(Eval("contains(bs, :b01)"));
  EXPECT_TRUE(Eval("contains(l, :x)"));
  EXPECT_TRUE(Eval("contains(l, :seven)"));
  EXPECT_TRUE(Eval("contains(l, :kv)"));
  EXPECT_FALSE(Eval("contains(l, :banana)"));
  EXPECT_FALSE(Eval("contains(n, :1)"));
  EXPECT_FALSE(Eval("contains(m, :x)"));
  EXPECT_FALSE(Eval("contains(absent, :x)"));
  EXPECT_TRUE(Eval("contains(:banana, s)"));
}

TEST_F(ConditionEvalTest, Size) {
  EXPECT_TRUE(Eval("size(s) = :6"));
  EXPECT_TRUE(Eval("size(emoji) = :3"));  // UTF-16 code units, as DynamoDB counts
  EXPECT_TRUE(Eval("size(b) = :3"));
  EXPECT_TRUE(Eval("size(ss) = :2"));
  EXPECT_TRUE(Eval("size(ns) = :2"));
  EXPECT_TRUE(Eval("size(bs) = :2"));
  EXPECT_TRUE(Eval("size(l) = :3"));
  EXPECT_TRUE(Eval("size(m) = :2"));
  EXPECT_TRUE(Eval("size(m.lst) < size(l)"));
  EXPECT_TRUE(Eval("size(:banana) = :6"));
  EXPECT_TRUE(Eval("size(s) BETWEEN :1 AND :10"));
  EXPECT_TRUE(Eval("size(l) IN (:1, :3)"));
  // No size for numbers, booleans, nulls or absent attributes: the comparison is false.
  EXPECT_FALSE(Eval("size(n) = :2"));
  EXPECT_FALSE(Eval("size(t) = :1"));
  EXPECT_FALSE(Eval("size(z) = :1"));
  EXPECT_FALSE(Eval("size(absent) = :1"));
  EXPECT_TRUE(Eval("size(absent) <> :1"));
}

TEST_F(ConditionEvalTest, EmptyItemAndFilterKind) {
  auto cond = ParseCondition("attribute_not_exists(pk)", "FilterExpression", env_.ctx);
  ASSERT_TRUE(cond.ok());
  auto r = EvaluateCondition(**cond, Item{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
}

TEST(ProjectTest, KeepsNestedShapeAndCompactsLists) {
  Item item{{"a", S("a")},
            {"b", M({{"c", N("1")}, {"d", N("2")}, {"e", M({{"f", N("3")}})}})},
            {"l", L({S("0"), M({{"x", S("x1")}, {"y", S("y1")}}), S("2"), S("3")})},
            {"n", N("5")}};
  Env env;
  env.Name("#b", "b");
  auto paths = ParseProjection("a, #b.c, b.e.f, l[3], l[1].y, l[9], absent, b.zz, n.x", env.ctx);
  ASSERT_TRUE(paths.ok()) << paths.status().message();
  Item out = Project(item, *paths);
  Item want{{"a", S("a")},
            {"b", M({{"c", N("1")}, {"e", M({{"f", N("3")}})}})},
            {"l", L({M({{"y", S("y1")}}), S("3")})}};
  EXPECT_EQ(out, want);

  auto whole = ParseProjection("b, l", env.ctx);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(Project(item, *whole), (Item{{"b", item.at("b")}, {"l", item.at("l")}}));
  auto none = ParseProjection("absent, l[7], b.c.d", env.ctx);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(Project(item, *none).empty());
  EXPECT_TRUE(Project(Item{}, *whole).empty());
}

}  // namespace
}  // namespace meridian::model::expr::test
