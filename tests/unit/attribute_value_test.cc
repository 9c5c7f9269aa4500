#include "model/attribute_value.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace meridian::model {
namespace {

Number Num(const std::string& text) {
  Result<Number> r = Number::Parse(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : Number();
}

AttributeValue NumValue(const std::string& text) { return AttributeValue::N(Num(text)); }

TEST(AttributeValueTest, TypeNames) {
  EXPECT_STREQ(TypeName(AttrType::kS), "S");
  EXPECT_STREQ(TypeName(AttrType::kN), "N");
  EXPECT_STREQ(TypeName(AttrType::kB), "B");
  EXPECT_STREQ(TypeName(AttrType::kBool), "BOOL");
  EXPECT_STREQ(TypeName(AttrType::kNull), "NULL");
  EXPECT_STREQ(TypeName(AttrType::kM), "M");
  EXPECT_STREQ(TypeName(AttrType::kL), "L");
  EXPECT_STREQ(TypeName(AttrType::kSS), "SS");
  EXPECT_STREQ(TypeName(AttrType::kNS), "NS");
  EXPECT_STREQ(TypeName(AttrType::kBS), "BS");
}

TEST(AttributeValueTest, FactoriesSetType) {
  EXPECT_EQ(AttributeValue().type(), AttrType::kNull);
  EXPECT_EQ(AttributeValue::Null().type(), AttrType::kNull);
  EXPECT_EQ(AttributeValue::S("x").type(), AttrType::kS);
  EXPECT_EQ(AttributeValue::B("x").type(), AttrType::kB);
  EXPECT_EQ(NumValue("1").type(), AttrType::kN);
  EXPECT_EQ(AttributeValue::Bool(true).type(), AttrType::kBool);
  EXPECT_TRUE(AttributeValue::Bool(true).boolean());
  EXPECT_EQ(AttributeValue::M({}).type(), AttrType::kM);
  EXPECT_EQ(AttributeValue::L({}).type(), AttrType::kL);
  EXPECT_TRUE(AttributeValue::SS({"a"}).is_set());
  EXPECT_TRUE(NumValue("1").is_scalar_key_type());
  EXPECT_FALSE(AttributeValue::Bool(false).is_scalar_key_type());
}

TEST(AttributeValueTest, StringAndBinarySetsSortByUnsignedBytes) {
  const std::vector<std::string> input = {"b", "a", "\xFF", "a", "\x01", "", "ab", "\x7F", "b"};
  const std::vector<std::string> expected = {"", "\x01", "a", "ab", "b", "\x7F", "\xFF"};
  AttributeValue ss = AttributeValue::SS(input);
  EXPECT_EQ(ss.ss(), expected);
  EXPECT_EQ(ss.set_size(), expected.size());
  AttributeValue bs = AttributeValue::BS({std::string("\x00\x02", 2), "\x80", std::string(1, '\0'),
                                          "\x80", std::string("\x00\x01", 2)});
  EXPECT_EQ(bs.bs(), (std::vector<std::string>{std::string(1, '\0'), std::string("\x00\x01", 2),
                                               std::string("\x00\x02", 2), "\x80"}));
}

TEST(AttributeValueTest, NumberSetsSortByValueAndMergeEqualValues) {
  AttributeValue ns =
      AttributeValue::NS({Num("10"), Num("9"), Num("1.0"), Num("1"), Num("-1"), Num("1E1")});
  ASSERT_EQ(ns.set_size(), 4u);
  EXPECT_EQ(ns.ns()[0].ToString(), "-1");
  EXPECT_EQ(ns.ns()[1].ToString(), "1");
  EXPECT_EQ(ns.ns()[2].ToString(), "9");
  EXPECT_EQ(ns.ns()[3].ToString(), "10");
}

TEST(AttributeValueTest, DeepEquality) {
  EXPECT_EQ(AttributeValue::S("x"), AttributeValue::S("x"));
  EXPECT_NE(AttributeValue::S("x"), AttributeValue::S("y"));
  EXPECT_NE(AttributeValue::S("x"), AttributeValue::B("x"));
  EXPECT_NE(AttributeValue::S("1"), NumValue("1"));
  EXPECT_EQ(NumValue("1.50"), NumValue("15E-1"));
  EXPECT_EQ(AttributeValue::Null(), AttributeValue());
  EXPECT_NE(AttributeValue::Bool(true), AttributeValue::Bool(false));
  EXPECT_NE(AttributeValue::Bool(false), AttributeValue::Null());
  EXPECT_EQ(AttributeValue::SS({"b", "a"}), AttributeValue::SS({"a", "b", "a"}));
  EXPECT_NE(AttributeValue::SS({"a"}), AttributeValue::BS({"a"}));
  EXPECT_EQ(AttributeValue::NS({Num("2"), Num("1")}), AttributeValue::NS({Num("1.0"), Num("2")}));
  EXPECT_NE(AttributeValue::NS({Num("2")}), AttributeValue::NS({Num("2"), Num("3")}));
  EXPECT_NE(AttributeValue::L({}), AttributeValue::M({}));

  // Lists are ordered; maps compare by name and (recursively) value.
  AttributeValue l1 = AttributeValue::L({AttributeValue::S("a"), NumValue("1")});
  AttributeValue l2 = AttributeValue::L({NumValue("1.0"), AttributeValue::S("a")});
  EXPECT_NE(l1, l2);
  EXPECT_EQ(l1, AttributeValue::L({AttributeValue::S("a"), NumValue("1.0")}));

  AttributeValue::Map inner{{"k", l1}};
  AttributeValue m1 = AttributeValue::M({{"x", AttributeValue::M(inner)}, {"y", NumValue("2")}});
  AttributeValue m2 = AttributeValue::M({{"y", NumValue("2.0")}, {"x", AttributeValue::M(inner)}});
  EXPECT_EQ(m1, m2);
  m2.mutable_m()["x"].mutable_m()["k"].mutable_l()[1] = NumValue("3");
  EXPECT_NE(m1, m2);
  AttributeValue m3 = AttributeValue::M({{"x", AttributeValue::M(inner)}, {"z", NumValue("2")}});
  EXPECT_NE(m1, m3);
}

TEST(AttributeValueTest, ScalarSizes) {
  EXPECT_EQ(AttributeValue::S("").ByteSize(), 0u);
  EXPECT_EQ(AttributeValue::S("hello").ByteSize(), 5u);
  EXPECT_EQ(AttributeValue::S("h\xC3\xA9llo").ByteSize(), 6u);  // "héllo" in UTF-8
  EXPECT_EQ(AttributeValue::B(std::string("\x00\x01\x02", 3)).ByteSize(), 3u);
  EXPECT_EQ(AttributeValue::Null().ByteSize(), 1u);
  EXPECT_EQ(AttributeValue::Bool(true).ByteSize(), 1u);
  // 1 byte per two significant digits (rounded up) plus 1; zeros are not significant.
  EXPECT_EQ(NumValue("0").ByteSize(), 1u);
  EXPECT_EQ(NumValue("1").ByteSize(), 2u);
  EXPECT_EQ(NumValue("1000").ByteSize(), 2u);
  EXPECT_EQ(NumValue("0.0012").ByteSize(), 2u);
  EXPECT_EQ(NumValue("123").ByteSize(), 3u);
  EXPECT_EQ(NumValue("-12345").ByteSize(), 4u);
  EXPECT_EQ(NumValue(std::string(38, '9')).ByteSize(), 20u);
}

TEST(AttributeValueTest, ContainerSizes) {
  EXPECT_EQ(AttributeValue::L({}).ByteSize(), 3u);
  EXPECT_EQ(AttributeValue::M({}).ByteSize(), 3u);
  // 3 + (2 + 1) + (2 + 1)
  EXPECT_EQ(AttributeValue::L({AttributeValue::S("ab"), NumValue("1")}).ByteSize(), 9u);
  // 3 + ("k" 1 + "v" 1 + 1) + ("name" 4 + NULL 1 + 1)
  EXPECT_EQ(AttributeValue::M({{"k", AttributeValue::S("v")}, {"name", AttributeValue::Null()}})
                .ByteSize(),
            12u);
  // Nested: outer 3 + (inner (3 + 1 + 1) + 1)
  EXPECT_EQ(AttributeValue::L({AttributeValue::L({AttributeValue::Bool(true)})}).ByteSize(), 9u);
  // Sets: sum of element sizes, after de-duplication.
  EXPECT_EQ(AttributeValue::SS({"a", "bc", "a"}).ByteSize(), 3u);
  EXPECT_EQ(AttributeValue::BS({"xyz"}).ByteSize(), 3u);
  EXPECT_EQ(AttributeValue::NS({Num("1"), Num("123"), Num("1.0")}).ByteSize(), 5u);
}

TEST(AttributeValueTest, ItemSize) {
  EXPECT_EQ(ItemByteSize({}), 0u);
  Item item{{"id", AttributeValue::S("abc")},
            {"n", NumValue("12")},
            {"tags", AttributeValue::SS({"x", "yy"})},
            {"doc", AttributeValue::M({{"a", AttributeValue::Bool(false)}})}};
  // (2+3) + (1+2) + (4+3) + (3 + 3 + (1+1+1))
  EXPECT_EQ(ItemByteSize(item), 5u + 3u + 7u + 9u);
}

TEST(AttributeValueTest, MapFromMembersSortsAndKeepsTheFirstOfEqualNames) {
  Item::sequence_type members;
  members.emplace_back("b", AttributeValue::S("first b"));
  members.emplace_back("a", NumValue("1"));
  members.emplace_back("b", AttributeValue::S("second b"));
  members.emplace_back("", AttributeValue::Null());
  members.emplace_back("\xff", AttributeValue::Bool(true));
  const Item item = MapFromMembers(std::move(members));
  const Item expected{{"", AttributeValue::Null()},
                      {"a", NumValue("1")},
                      {"b", AttributeValue::S("first b")},
                      {"\xff", AttributeValue::Bool(true)}};
  EXPECT_EQ(item, expected);
  EXPECT_TRUE(MapFromMembers({}).empty());
}

TEST(AttributeValueTest, MapFromMembersInReverseOrderMatchesInsertion) {
  Item::sequence_type members;
  std::map<std::string, std::string> reference;
  for (int i = 50000; i > 0; --i) {
    const std::string name = "attr" + std::to_string(i);
    members.emplace_back(name, NumValue(std::to_string(i)));
    reference.emplace(name, std::to_string(i));
  }
  const Item item = MapFromMembers(std::move(members));
  ASSERT_EQ(item.size(), reference.size());
  auto expected = reference.begin();
  for (const auto& [name, value] : item) {
    EXPECT_EQ(name, expected->first);
    EXPECT_EQ(value, NumValue(expected->second));
    ++expected;
  }
}

}  // namespace
}  // namespace meridian::model
