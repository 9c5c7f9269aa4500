// api::JsonWriter renders exactly what the JSON tree path renders (EncodeItem + Boost.JSON),
// for random items of every type, including strings that need every kind of escape.
#include "daemon/api/json_writer.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <random>

#include "daemon/api/json_codec.h"

namespace meridian::api {
namespace {

using model::AttributeValue;

std::string RandomString(std::mt19937_64& rng) {
  static const std::string pieces[] = {
      "a",   "\"", "\\", "\n", "\t", "\x01", "\x1f", "é", "€", "💡", "/", " ", "0123456789abcdef",
      "\x7f"};
  std::string s;
  const int n = static_cast<int>(rng() % 12);
  for (int i = 0; i < n; ++i) s += pieces[rng() % std::size(pieces)];
  return s;
}

AttributeValue RandomValue(std::mt19937_64& rng, int depth) {
  switch (rng() % (depth < 3 ? 10 : 7)) {
    case 0: return AttributeValue::S(RandomString(rng));
    case 1: return AttributeValue::N(*model::Number::Parse(std::to_string(rng() % 100000) + ".25"));
    case 2: return AttributeValue::B(RandomString(rng));
    case 3: return AttributeValue::Bool(rng() % 2);
    case 4: return AttributeValue::Null();
    case 5: return AttributeValue::SS({RandomString(rng) + "x", RandomString(rng) + "y"});
    case 6: return AttributeValue::NS({*model::Number::Parse("1"), *model::Number::Parse("-2e3")});
    case 7: {
      AttributeValue::Map m;
      for (int i = 0; i < 3; ++i) m[RandomString(rng)] = RandomValue(rng, depth + 1);
      return AttributeValue::M(std::move(m));
    }
    case 8: return AttributeValue::L({RandomValue(rng, depth + 1), RandomValue(rng, depth + 1)});
    default: return AttributeValue::BS({std::string("\x00\x01", 2), "abc"});
  }
}

TEST(JsonWriter, RendersWhatTheTreeRenders) {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 3000; ++i) {
    model::Item item;
    const int n = static_cast<int>(rng() % 6);
    for (int a = 0; a < n; ++a) item[RandomString(rng) + std::to_string(a)] = RandomValue(rng, 0);
    JsonWriter w;
    w.Item(item);
    boost::json::error_code ec;
    const boost::json::value parsed = boost::json::parse(w.Text(), ec);
    ASSERT_FALSE(ec) << w.Text();
    EXPECT_EQ(parsed, boost::json::value(EncodeItem(item))) << w.Text();
  }
}

TEST(JsonWriter, EscapesEveryControlCharacter) {
  std::string all;
  for (int c = 0; c < 0x20; ++c) all.push_back(static_cast<char>(c));
  all += "\"\\x";
  JsonWriter w;
  w.String(all);
  EXPECT_EQ(boost::json::parse(w.Text()).as_string(), all);
  EXPECT_EQ(w.Text().find('\n'), std::string_view::npos);
}

}  // namespace
}  // namespace meridian::api
