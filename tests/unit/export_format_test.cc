// api/export_format: the data files, CSV import, gzip, MD5 and manifests of DynamoDB's export
// to S3 and import from S3. Exact text where DynamoDB's output is documented, round trips of
// every type through both line formats, the nesting limit shared with the request path, and
// mutation fuzzing: the parsers return an item or an error for any input, and an item they
// return survives a round trip unchanged.
#include "daemon/api/export_format.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <random>

#include "daemon/api/json_codec.h"

namespace meridian::api {
namespace {

using model::AttributeValue;
using model::Item;
using model::Number;

Number N(std::string_view text) {
  Result<Number> n = Number::Parse(text);
  EXPECT_TRUE(n.ok()) << text;
  return n.ok() ? *n : Number();
}

std::string JsonLine(const Item& item) {
  std::string out;
  AppendDynamoDbJsonLine(item, &out);
  return out;
}

std::string IonLine(const Item& item) {
  std::string out;
  AppendIonLine(item, &out);
  return out;
}

// Items compared by value; failures show the item as JSON.
void ExpectSameItem(const Item& expected, const Result<Item>& actual, std::string_view context) {
  ASSERT_TRUE(actual.ok()) << context << ": " << actual.status().message();
  EXPECT_TRUE(expected == *actual)
      << context << "\nexpected " << JsonLine(expected) << "actual   " << JsonLine(*actual);
}

void ExpectRoundTrips(const Item& item) {
  ExpectSameItem(item, ParseDynamoDbJsonLine(JsonLine(item)), JsonLine(item));
  ExpectSameItem(item, ParseIonLine(IonLine(item)), IonLine(item));
}

std::string ErrorOf(const Result<Item>& r) { return r.ok() ? "(ok)" : r.status().message(); }

// ---- Exact text -------------------------------------------------------------------------

TEST(ExportFormatTest, JsonLineIsDynamoDbJsonWrappedInItem) {
  const Item item = {{"pk", AttributeValue::S("a")}, {"n", AttributeValue::N(N("1.5"))}};
  EXPECT_EQ(JsonLine(item), R"({"Item":{"n":{"N":"1.5"},"pk":{"S":"a"}}})"
                            "\n");
  std::string out = "x";
  AppendDynamoDbJsonLine({}, &out);
  EXPECT_EQ(out, "x{\"Item\":{}}\n");
}

TEST(ExportFormatTest, JsonLineMatchesTheRequestPathEncoder) {
  const Item item = {
      {"s", AttributeValue::S("q\"b\\c\n\x01é")},
      {"b", AttributeValue::B(std::string("\0\xff", 2))},
      {"m", AttributeValue::M(
                {{"l", AttributeValue::L({AttributeValue::Null(), AttributeValue::Bool(true)})}})},
      {"ns", AttributeValue::NS({N("1"), N("-2.5")})},
      {"bs", AttributeValue::BS({"x", "y"})},
      {"ss", AttributeValue::SS({"b", "a"})},
  };
  boost::json::object wrapped;
  wrapped["Item"] = EncodeItem(item);
  EXPECT_EQ(JsonLine(item), boost::json::serialize(wrapped) + "\n");
}

// The item of DynamoDB's documentation, in both formats, as the documentation shows it.
Item DocumentationItem() {
  return {
      {"Authors", AttributeValue::SS({"Author1", "Author2"})},
      {"Dimensions", AttributeValue::S("8.5 x 11.0 x 1.5")},
      {"ISBN", AttributeValue::S("333-3333333333")},
      {"Id", AttributeValue::N(N("103"))},
      {"InPublication", AttributeValue::Bool(false)},
      {"PageCount", AttributeValue::N(N("600"))},
      {"Price", AttributeValue::N(N("2000"))},
      {"ProductCategory", AttributeValue::S("Book")},
      {"Title", AttributeValue::S("Book 103 Title")},
  };
}

TEST(ExportFormatTest, IonLineMatchesDynamoDbDocumentation) {
  EXPECT_EQ(IonLine(DocumentationItem()),
            "$ion_1_0 {Item:{Authors:$dynamodb_SS::[\"Author1\",\"Author2\"],Dimensions:\"8.5 x "
            "11.0 x 1.5\",ISBN:\"333-3333333333\",Id:103.,InPublication:false,PageCount:6d2,"
            "Price:2d3,ProductCategory:\"Book\",Title:\"Book 103 Title\"}}\n");
  // The documentation's rendering on several lines reads back as the same item.
  const char* documented = R"($ion_1_0 {
    Item:{
        Authors:$dynamodb_SS::["Author1","Author2"],
        Dimensions:"8.5 x 11.0 x 1.5",
        ISBN:"333-3333333333",
        Id:103.,
        InPublication:false,
        PageCount:6d2,
        Price:2d3,
        ProductCategory:"Book",
        Title:"Book 103 Title"
    }
})";
  ExpectSameItem(DocumentationItem(), ParseIonLine(documented), "documented ion");
  const char* documented_json =
      R"({"Item":{"Authors":{"SS":["Author1","Author2"]},"Dimensions":{"S":"8.5 x 11.0 x 1.5"},)"
      R"("ISBN":{"S":"333-3333333333"},"Id":{"N":"103"},"InPublication":{"BOOL":false},)"
      R"("PageCount":{"N":"600"},"Price":{"N":"2000"},"ProductCategory":{"S":"Book"},)"
      R"("Title":{"S":"Book 103 Title"}}})";
  ExpectSameItem(DocumentationItem(), ParseDynamoDbJsonLine(documented_json), "documented json");
}

TEST(ExportFormatTest, IonDecimalsAreIonJavaText) {
  const std::pair<const char*, const char*> cases[] = {
      {"5", "5."},
      {"0", "0."},
      {"-0", "0."},
      {"1.5", "1.5"},
      {"12.5", "12.5"},
      {"0.25", "2.5d-1"},
      {"-0.0001", "-1d-4"},
      {"600", "6d2"},
      {"-600", "-6d2"},
      {"1E+40", "1d40"},
      {"1.5e3", "15d2"},
      {"12345678901234567890123456789012345678", "12345678901234567890123456789012345678."},
      {"9.9999999999999999999999999999999999999E+125", "99999999999999999999999999999999999999d88"},
      {"-1E-130", "-1d-130"},
      {"1.2345678901234567890123456789012345678E-100",
       "1.2345678901234567890123456789012345678d-100"},
  };
  for (const auto& [number, ion] : cases) {
    const Item item = {{"n", AttributeValue::N(N(number))}};
    EXPECT_EQ(IonLine(item), std::string("$ion_1_0 {Item:{n:") + ion + "}}\n") << number;
    ExpectRoundTrips(item);
  }
}

TEST(ExportFormatTest, IonFieldNamesAreQuotedUnlessIdentifiers) {
  const Item item = {
      {"plain_Name$1", AttributeValue::Bool(true)},
      {"my-attr", AttributeValue::Bool(true)},
      {"true", AttributeValue::Bool(true)},
      {"null", AttributeValue::Bool(true)},
      {"nan", AttributeValue::Bool(true)},
      {"$12", AttributeValue::Bool(true)},
      {"$dynamodb_SS", AttributeValue::Bool(true)},
      {"1st", AttributeValue::Bool(true)},
      {"it's", AttributeValue::Bool(true)},
      {"back\\slash", AttributeValue::Bool(true)},
      {"é", AttributeValue::Bool(true)},
      {"Item", AttributeValue::Bool(true)},
  };
  EXPECT_EQ(IonLine(item),
            "$ion_1_0 {Item:{'$12':true,$dynamodb_SS:true,'1st':true,Item:true,'back\\\\slash':"
            "true,'it\\'s':true,'my-attr':true,'nan':true,'null':true,plain_Name$1:true,'true':"
            "true,'é':true}}\n");
  ExpectRoundTrips(item);
}

TEST(ExportFormatTest, IonStringsEscapeQuotesBackslashesAndControls) {
  const Item item = {{"s", AttributeValue::S(std::string("\"\\\n\t\r\x01\x1f\x7f é 💡 '/\0", 20))}};
  EXPECT_EQ(IonLine(item),
            "$ion_1_0 {Item:{s:\"\\\"\\\\\\n\\t\\r\\x01\\x1f\\x7f é 💡 '/\\x00\"}}\n");
  ExpectRoundTrips(item);
}

TEST(ExportFormatTest, IonOfEveryOtherType) {
  const Item item = {
      {"b", AttributeValue::B("hi!")},
      {"e", AttributeValue::B("")},
      {"t", AttributeValue::Bool(true)},
      {"z", AttributeValue::Null()},
      {"m", AttributeValue::M(
                {{"k", AttributeValue::L({AttributeValue::S("v"), AttributeValue::M({})})}})},
      {"l", AttributeValue::L({})},
      {"ns", AttributeValue::NS({N("2.5"), N("1")})},
      {"bs", AttributeValue::BS({"b", "a"})},
  };
  EXPECT_EQ(IonLine(item),
            "$ion_1_0 {Item:{b:{{aGkh}},bs:$dynamodb_BS::[{{YQ==}},{{Yg==}}],e:{{}},l:[],m:{k:"
            "[\"v\",{}]},ns:$dynamodb_NS::[1.,2.5],t:true,z:null}}\n");
  ExpectRoundTrips(item);
}

// ---- Round trips ----------------------------------------------------------------------------

TEST(ExportFormatTest, EveryTypeRoundTripsThroughBothFormats) {
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
  std::string controls;
  for (int c = 0; c < 0x20; ++c) controls.push_back(static_cast<char>(c));
  controls += "\x7f\"'\\/";
  AttributeValue nested = AttributeValue::S("bottom");
  for (int level = 0; level < 10; ++level) {
    nested = level % 2 == 0 ? AttributeValue::M({{"m" + std::to_string(level), nested},
                                                 {"x", AttributeValue::N(N("1"))}})
                            : AttributeValue::L({nested, AttributeValue::Null()});
  }
  const Item item = {
      {"unicode", AttributeValue::S("héllo wörld ✓ 日本語 💡 \u00a0\u2028")},
      {"controls", AttributeValue::S(controls)},
      {"empty", AttributeValue::S("")},
      {"n38", AttributeValue::N(N("12345678901234567890123456789012345678"))},
      {"nmax", AttributeValue::N(N("9.9999999999999999999999999999999999999E+125"))},
      {"nmin", AttributeValue::N(N("-1E-130"))},
      {"nzero", AttributeValue::N(N("0"))},
      {"nfrac", AttributeValue::N(N("-123.456"))},
      {"bytes", AttributeValue::B(all_bytes)},
      {"yes", AttributeValue::Bool(true)},
      {"no", AttributeValue::Bool(false)},
      {"null", AttributeValue::Null()},
      {"ss", AttributeValue::SS({"a", "b\"", "ü", controls})},
      {"ns", AttributeValue::NS({N("1"), N("-1E-130"),
                                 N("9.9999999999999999999999999999999999999E+125"), N("0")})},
      {"bs", AttributeValue::BS({all_bytes, "", std::string(1, '\0')})},
      {"nested", nested},
      {"weird name-with 'quotes\" and \\", AttributeValue::S("x")},
  };
  ExpectRoundTrips(item);
}

std::string RandomString(std::mt19937_64& rng) {
  static const std::string pieces[] = {"a",    "\"", "\\", "\n", "\t", std::string(1, '\0'),
                                       "\x1f", "é",  "€",  "💡",  "'",  "'''",
                                       "/*",   "//", " ",  "$",  "_",  "Z9",
                                       "{{",   "}}", ",",  ":"};
  std::string s;
  const int n = static_cast<int>(rng() % 6);
  for (int i = 0; i < n; ++i) s += pieces[rng() % std::size(pieces)];
  return s;
}

Number RandomNumber(std::mt19937_64& rng) {
  std::string digits = std::to_string(rng() % 1000000007) + std::to_string(rng() % 1000);
  const int exponent = static_cast<int>(rng() % 200) - 100;
  return N((rng() % 2 ? "-" : "") + digits + "e" + std::to_string(exponent));
}

AttributeValue RandomValue(std::mt19937_64& rng, int depth) {
  switch (rng() % (depth < 4 ? 10 : 8)) {
    case 0: return AttributeValue::S(RandomString(rng));
    case 1: return AttributeValue::N(RandomNumber(rng));
    case 2: return AttributeValue::B(RandomString(rng));
    case 3: return AttributeValue::Bool(rng() % 2 == 0);
    case 4: return AttributeValue::Null();
    case 5: return AttributeValue::SS({RandomString(rng) + "x", RandomString(rng) + "y"});
    case 6: return AttributeValue::NS({RandomNumber(rng), N("0.5")});
    case 7: return AttributeValue::BS({RandomString(rng), RandomString(rng) + "!"});
    case 8: {
      AttributeValue::Map m;
      for (int i = 0; i < 3; ++i) m["k" + RandomString(rng)] = RandomValue(rng, depth + 1);
      return AttributeValue::M(std::move(m));
    }
    default: {
      AttributeValue::List l;
      for (int i = 0; i < 3; ++i) l.push_back(RandomValue(rng, depth + 1));
      return AttributeValue::L(std::move(l));
    }
  }
}

Item RandomItem(std::mt19937_64& rng) {
  Item item;
  const int n = 1 + static_cast<int>(rng() % 5);
  for (int i = 0; i < n; ++i) item["a" + RandomString(rng)] = RandomValue(rng, 1);
  return item;
}

TEST(ExportFormatTest, RandomItemsRoundTrip) {
  std::mt19937_64 rng(20240601);
  for (int i = 0; i < 2000; ++i) {
    const Item item = RandomItem(rng);
    ExpectRoundTrips(item);
    if (HasFailure()) break;
  }
}

// ---- Ion reader: the rest of Ion text ---------------------------------------------------------

TEST(ExportFormatTest, IonReaderAcceptsOtherIonSpellings) {
  const std::pair<const char*, Item> cases[] = {
      {"{Item:{a:1}}", {{"a", AttributeValue::N(N("1"))}}},
      {"$ion_1_0 $ion_1_0 {Item:{a:1}}\r\n", {{"a", AttributeValue::N(N("1"))}}},
      {" /* c */ {Item : { a : 1 , } , } // end", {{"a", AttributeValue::N(N("1"))}}},
      {"{'Item':{\"my-attr\":\"x\"}}", {{"my-attr", AttributeValue::S("x")}}},
      {"{Item:{'''lo''' '''ng''':'''a'''\n/**/'''b'''}}", {{"long", AttributeValue::S("ab")}}},
      {"{Item:{s:'''x\r\ny\\\nz'''}}", {{"s", AttributeValue::S("x\nyz")}}},
      {R"({Item:{s:"\x41\u00e9\U0001F4A1\uD83D\uDCA1\0\a\b\v\f\?\/\'"}})",
       {{"s", AttributeValue::S(std::string("Aé💡💡\0\a\b\v\f?/'", 19))}}},
      {"{Item:{h:0x1F,b:-0b101,u:1_000_000,f:1.5e0,d:12.50d1,z:-0.,e:0e5}}",
       {{"h", AttributeValue::N(N("31"))},
        {"b", AttributeValue::N(N("-5"))},
        {"u", AttributeValue::N(N("1000000"))},
        {"f", AttributeValue::N(N("1.5"))},
        {"d", AttributeValue::N(N("125"))},
        {"z", AttributeValue::N(N("0"))},
        {"e", AttributeValue::N(N("0"))}}},
      {"{Item:{n:null.null,m:null,t:true}}",
       {{"n", AttributeValue::Null()},
        {"m", AttributeValue::Null()},
        {"t", AttributeValue::Bool(true)}}},
      {"{Item:{b:{{ aGk=\n }},s:'$dynamodb_SS' :: [ \"x\" , ],l:[1,[2],{}]}}",
       {{"b", AttributeValue::B("hi")},
        {"s", AttributeValue::SS({"x"})},
        {"l", AttributeValue::L({AttributeValue::N(N("1")),
                                 AttributeValue::L({AttributeValue::N(N("2"))}),
                                 AttributeValue::M({})})}}},
      {"{Item:{}}", {}},
  };
  for (const auto& [text, item] : cases) ExpectSameItem(item, ParseIonLine(text), text);
}

TEST(ExportFormatTest, IonReaderRejectsWhatDynamoDbCannotHold) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "expected a struct"},
      {"{Item:{a:1}} {Item:{a:1}}", "unexpected text after the item"},
      {"{Item:{a:1}", "expected ',' or '}'"},
      {"{Item:{a:1},", "expected a field name"},
      {"{}", "missing field Item"},
      {"{Other:{}}", "unexpected field"},
      {"{Item:{},Item:{}}", "Item appears twice"},
      {"{Item:[]}", "Item must be a struct"},
      {"$ion_symbol_table::{} {Item:{}}", "symbol tables"},
      {"$ion_2_0 {Item:{}}", "Ion versions"},
      {"{Item:{a:1,a:2}}", "duplicate field name"},
      {"{Item:{'':1}}", "Empty attribute name"},
      {"{Item:{$10:1}}", "symbol ids"},
      {"{Item:{a:nan}}", "nan"},
      {"{Item:{a:+inf}}", "infinity"},
      {"{Item:{a:-inf}}", "infinity"},
      {"{Item:{a:2007-02-23T12:14Z}}", "timestamps"},
      {"{Item:{a:2007T}}", "timestamps"},
      {"{Item:{a:sym}}", "symbol values"},
      {"{Item:{a:'sym'}}", "symbol values"},
      {"{Item:{a:null.string}}", "typed nulls"},
      {"{Item:{a:{{\"clob\"}}}}", "clobs"},
      {"{Item:{a:{{abc}}}}", "invalid base64"},
      {"{Item:{a:(1 2)}}", "s-expressions"},
      {"{Item:{a:x::1}}", "unsupported annotation"},
      {"{Item:{a:$dynamodb_SS::$dynamodb_SS::[\"a\"]}}", "more than one annotation"},
      {"{Item:{a:$dynamodb_SS::\"a\"}}", "must annotate a list"},
      {"{Item:{a:$dynamodb_SS::[]}}", "An string set  may not be empty"},
      {"{Item:{a:$dynamodb_NS::[1,1.0]}}", "contains duplicates"},
      {"{Item:{a:$dynamodb_SS::[1]}}", "must be a string"},
      {"{Item:{a:$dynamodb_NS::[\"1\"]}}", "must be a number"},
      {"{Item:{a:$dynamodb_BS::[\"1\"]}}", "must be a blob"},
      {"{Item:{a:01}}", "invalid number"},
      {"{Item:{a:1__0}}", "invalid number"},
      {"{Item:{a:1_}}", "invalid number"},
      {"{Item:{a:-}}", "invalid number"},
      {"{Item:{a:1.2.3}}", "invalid number"},
      {"{Item:{a:1e}}", "invalid number"},
      {"{Item:{a:0x}}", "invalid number"},
      {"{Item:{a:0xg}}", "invalid number"},
      {"{Item:{a:.5}}", "unexpected character"},
      {"{Item:{a:123456789012345678901234567890123456789}}", "38 significant digits"},
      {"{Item:{a:1d126}}", "Number overflow"},
      {"{Item:{a:1d-131}}", "Number underflow"},
      {"{Item:{a:1d999999999999999999999}}", "Number overflow"},
      {"{Item:{a:"
       "0x1000000000000000000000000000000000000000000000000000000000000000000000000000000000"
       "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
       "0000}}",
       "Number overflow"},
      {"{Item:{a:\"unterminated}}", "unterminated string"},
      {"{Item:{a:\"new\nline\"}}", "newline in a quoted string"},
      {"{Item:{a:\"\x01\"}}", "control character"},
      {"{Item:{a:\"\xff\"}}", "invalid UTF-8"},
      {"{Item:{a:\"\xed\xa0\x80\"}}", "invalid UTF-8"},
      {"{Item:{a:\"\xc0\xaf\"}}", "invalid UTF-8"},
      {"{Item:{a:\"\xf4\x90\x80\x80\"}}", "invalid UTF-8"},
      {"{Item:{a:\"\xe2\x82\"}}", "invalid UTF-8"},
      {"{Item:{a:\"\\uD800\"}}", "unpaired surrogate"},
      {"{Item:{a:\"\\uDC00\"}}", "invalid code point"},
      {"{Item:{a:\"\\U00110000\"}}", "invalid code point"},
      {"{Item:{a:\"\\q\"}}", "invalid escape"},
      {"{Item:{a:\"\\x4\"}}", "invalid hex digit"},
      {"{Item:{a:'''open}}", "unterminated long string"},
      {"{Item:{a:1 /* open}}", "unterminated comment"},
      {"{Item:{a:[1 2]}}", "expected ',' or ']'"},
      {"{Item:{a:1 b:2}}", "expected ',' or '}'"},
      {"{Item:{a}}", "expected ':'"},
      {"{Item:{a:}}", "unexpected character"},
      {"{Item:{a:[1,,2]}}", "unexpected character"},
      {"{Item:{a:{{aGk=}x}}}", "expected '}}'"},
  };
  for (const auto& [text, message] : cases) {
    const Result<Item> r = ParseIonLine(text);
    EXPECT_NE(ErrorOf(r).find(message), std::string::npos)
        << text << " -> " << ErrorOf(r) << " (wanted " << message << ")";
  }
}

TEST(ExportFormatTest, IonReaderRejectsLongNames) {
  const std::string longest(65535, 'a');
  EXPECT_TRUE(ParseIonLine("{Item:{" + longest + ":1}}").ok());
  EXPECT_EQ(ErrorOf(ParseIonLine("{Item:{" + longest + "a:1}}")),
            "Attribute name is too large, must be less than 65536 bytes");
}

// JSON and Ion accept exactly the same nesting: the request path's limit of 32 levels.
TEST(ExportFormatTest, NestingLimitIsTheRequestPaths) {
  int deepest_json = 0;
  int deepest_ion = 0;
  for (int levels = 1; levels <= 40; ++levels) {
    for (const bool map : {true, false}) {
      std::string json = R"({"Item":{"a":)";
      std::string ion = "{Item:{a:";
      for (int i = 0; i < levels; ++i) {
        json += map ? R"({"M":{"k":)" : R"({"L":[)";
        ion += map ? "{k:" : "[";
      }
      json += R"({"S":"x"})";
      ion += "\"x\"";
      for (int i = 0; i < levels; ++i) {
        json += map ? "}}" : "]}";
        ion += map ? "}" : "]";
      }
      json += "}}";
      ion += "}}";
      const Result<Item> from_json = ParseDynamoDbJsonLine(json);
      const Result<Item> from_ion = ParseIonLine(ion);
      EXPECT_EQ(from_json.ok(), from_ion.ok()) << levels << " " << ErrorOf(from_ion);
      if (from_json.ok()) {
        deepest_json = std::max(deepest_json, levels);
        ExpectSameItem(*from_json, from_ion, ion);
        ExpectRoundTrips(*from_json);
      } else {
        EXPECT_NE(ErrorOf(from_json).find("Nesting Levels have exceeded"), std::string::npos)
            << ErrorOf(from_json);
        EXPECT_NE(ErrorOf(from_ion).find("Nesting Levels have exceeded"), std::string::npos)
            << ErrorOf(from_ion);
      }
      if (from_ion.ok()) deepest_ion = std::max(deepest_ion, levels);
    }
  }
  EXPECT_EQ(deepest_json, 31);  // 31 containers below a top-level attribute: 32 levels
  EXPECT_EQ(deepest_ion, 31);
  // Far deeper than any limit: an error, not a stack overflow.
  EXPECT_FALSE(ParseIonLine("{Item:{a:" + std::string(100000, '[')).ok());
  EXPECT_FALSE(ParseDynamoDbJsonLine(R"({"Item":{"a":)" + std::string(100000, '[')).ok());
}

// ---- DynamoDB JSON reader ---------------------------------------------------------------------

TEST(ExportFormatTest, JsonReaderErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "Invalid JSON"},
      {"{", "Invalid JSON"},
      {"[]", "Expected an object"},
      {"{}", "Missing member \"Item\""},
      {R"({"item":{}})", "Missing member \"Item\""},
      {R"({"Item":{},"Other":1})", "Unexpected member"},
      {R"({"Item":[]})", "Unexpected value type in payload"},
      {R"({"Item":{"a":{"N":"x"}}})", "The parameter cannot be converted to a numeric value"},
      {R"({"Item":{"a":{"SS":[]}}})", "An string set  may not be empty"},
      {R"({"Item":{"a":{"S":"x","N":"1"}}})", "more than one datatypes"},
      {R"({"Item":{"":{"S":"x"}}})", "Empty attribute name"},
      {"{\"Item\":{\"a\":{\"S\":\"\xff\"}}}", "Invalid JSON"},
      {R"({"Item":{}} {"Item":{}})", "Invalid JSON"},
  };
  for (const auto& [text, message] : cases) {
    const Result<Item> r = ParseDynamoDbJsonLine(text);
    EXPECT_NE(ErrorOf(r).find(message), std::string::npos)
        << text << " -> " << ErrorOf(r) << " (wanted " << message << ")";
  }
  ExpectSameItem({{"a", AttributeValue::S("x")}},
                 ParseDynamoDbJsonLine(" {\"Item\" : {\"a\":{\"S\":\"x\"}}}\r"), "whitespace");
}

// ---- CSV ------------------------------------------------------------------------------------

struct CsvRun {
  Status status;
  std::vector<Item> items;
};

CsvRun RunCsv(std::string_view text, const CsvOptions& options = {},
              const CsvKeyTypes& key_types = nullptr) {
  CsvRun run;
  run.status = ParseCsv(
      text, options,
      [&](Item item) {
        run.items.push_back(std::move(item));
        return Status::Ok();
      },
      key_types);
  return run;
}

AttributeValue S(std::string s) { return AttributeValue::S(std::move(s)); }

TEST(ExportFormatTest, CsvHeaderQuotesAndEmbeddedNewlines) {
  const CsvRun run = RunCsv(
      "id,name,note\n"
      "1,plain,\"with, comma\"\n"
      "2,\"\"\"123\"\"\",\"two\nlines\r\nand \"\"quotes\"\"\"\r\n"
      "3,,\n"
      "\n"
      "4,\"\",last");
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  ASSERT_EQ(run.items.size(), 4u);
  EXPECT_TRUE(run.items[0] ==
              Item({{"id", S("1")}, {"name", S("plain")}, {"note", S("with, comma")}}));
  EXPECT_TRUE(
      run.items[1] ==
      Item({{"id", S("2")}, {"name", S("\"123\"")}, {"note", S("two\nlines\r\nand \"quotes\"")}}));
  EXPECT_TRUE(run.items[2] == Item({{"id", S("3")}}));  // empty values are left out
  EXPECT_TRUE(run.items[3] == Item({{"id", S("4")}, {"note", S("last")}}));
}

TEST(ExportFormatTest, CsvKeyAttributesTakeTheirTypes) {
  const auto key_types = [](std::string_view name) -> std::optional<char> {
    if (name == "pk") return 'N';
    if (name == "sk") return 'B';
    if (name == "gsi") return 'S';
    return std::nullopt;
  };
  const CsvRun run = RunCsv(
      "pk,sk,gsi,other\n"
      "-1.50,aGk=,007,42\n"
      "12345678901234567890123456789012345678,,,1e3\n",
      {}, key_types);
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  ASSERT_EQ(run.items.size(), 2u);
  EXPECT_TRUE(run.items[0] == Item({{"pk", AttributeValue::N(N("-1.5"))},
                                    {"sk", AttributeValue::B("hi")},
                                    {"gsi", S("007")},
                                    {"other", S("42")}}));  // not a key: a string
  EXPECT_TRUE(run.items[1] ==
              Item({{"pk", AttributeValue::N(N("12345678901234567890123456789012345678"))},
                    {"other", S("1e3")}}));

  const CsvRun bad_number = RunCsv("pk,sk\nabc,aGk=\n", {}, key_types);
  EXPECT_EQ(bad_number.status.message(),
            "CSV line 2: pk: The parameter cannot be converted to a numeric value");
  const CsvRun bad_binary = RunCsv("pk,sk\n1,aGk\n", {}, key_types);
  EXPECT_EQ(bad_binary.status.message(), "CSV line 2: sk: not valid base64");
  const CsvRun bad_type =
      RunCsv("pk\n1\n", {}, [](std::string_view) -> std::optional<char> { return 'M'; });
  EXPECT_FALSE(bad_type.status.ok());
}

TEST(ExportFormatTest, CsvDelimiterAndHeaderOptions) {
  CsvOptions semicolon;
  semicolon.delimiter = ';';
  CsvRun run = RunCsv("a;b\nx,y;\"p;q\"\n", semicolon);
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  ASSERT_EQ(run.items.size(), 1u);
  EXPECT_TRUE(run.items[0] == Item({{"a", S("x,y")}, {"b", S("p;q")}}));

  CsvOptions tab;
  tab.delimiter = '\t';
  tab.header = {"k", "v"};  // the first line is data
  run = RunCsv("k\tv\n1\t \n", tab);
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  ASSERT_EQ(run.items.size(), 2u);
  EXPECT_TRUE(run.items[0] == Item({{"k", S("k")}, {"v", S("v")}}));
  EXPECT_TRUE(run.items[1] == Item({{"k", S("1")}, {"v", S(" ")}}));

  CsvOptions space;
  space.delimiter = ' ';
  run = RunCsv("a b\n1 \"2 3\"", space);
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  ASSERT_EQ(run.items.size(), 1u);
  EXPECT_TRUE(run.items[0] == Item({{"a", S("1")}, {"b", S("2 3")}}));

  CsvOptions bad;
  bad.delimiter = 'x';
  EXPECT_FALSE(RunCsv("a\n1\n", bad).status.ok());
}

TEST(ExportFormatTest, CsvErrorsAndBadRecords) {
  EXPECT_EQ(RunCsv("a,b\n1,2,3\n").status.message(), "CSV line 2: expected 2 fields, found 3");
  EXPECT_EQ(RunCsv("a,b\n\"x\ny\",1\n1\n").status.message(),
            "CSV line 4: expected 2 fields, found 1");
  EXPECT_EQ(RunCsv("a\n\"open\n").status.message(), "CSV line 2: unterminated quoted field");
  EXPECT_EQ(RunCsv("a\nx\"y\n").status.message(),
            "CSV line 2: a quote in an unquoted field (write it as \"\")");
  EXPECT_EQ(RunCsv("a\n\"x\"y\n").status.message(),
            "CSV line 2: a closing quote must end its field");
  EXPECT_EQ(RunCsv("a,a\n1,2\n").status.message(), "CSV header: duplicate column a");
  EXPECT_EQ(RunCsv("a,\n1,2\n").status.message(), "CSV header: Empty attribute name");
  EXPECT_EQ(RunCsv("a\n\xff\n").status.message(), "CSV line 2: a: invalid UTF-8");

  // With on_bad_record, bad records are reported and skipped.
  CsvOptions lenient;
  std::vector<size_t> bad_lines;
  lenient.on_bad_record = [&](size_t line, const Status& error) {
    EXPECT_FALSE(error.ok());
    bad_lines.push_back(line);
    return Status::Ok();
  };
  CsvRun run = RunCsv("a,b\n1,2\n3\n4,5\n6,7,8\n", lenient);
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.items.size(), 2u);
  EXPECT_EQ(bad_lines, (std::vector<size_t>{3, 5}));

  // emit's error ends the parse.
  int emitted = 0;
  const Status stopped = ParseCsv(
      "a\n1\n2\n3\n", {},
      [&](const Item&) { return ++emitted == 2 ? Status::IOError("full") : Status::Ok(); },
      nullptr);
  EXPECT_EQ(stopped.message(), "full");
  EXPECT_EQ(emitted, 2);
}

TEST(ExportFormatTest, CsvEdgesOfTheText) {
  EXPECT_TRUE(RunCsv("").status.ok());
  EXPECT_TRUE(RunCsv("").items.empty());
  EXPECT_TRUE(RunCsv("a,b\n").items.empty());
  CsvRun run = RunCsv(
      "\xEF\xBB\xBF"
      "a,b\r\n1,2\r\n\r\n");
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  ASSERT_EQ(run.items.size(), 1u);
  EXPECT_TRUE(run.items[0] == Item({{"a", S("1")}, {"b", S("2")}}));
  run = RunCsv("a,b\n1,\n");  // a trailing delimiter: one more, empty field
  ASSERT_EQ(run.items.size(), 1u);
  EXPECT_TRUE(run.items[0] == Item({{"a", S("1")}}));
  run = RunCsv("a\nx\ry\n");  // a lone CR is data
  ASSERT_EQ(run.items.size(), 1u);
  EXPECT_TRUE(run.items[0] == Item({{"a", S("x\ry")}}));
}

// ---- gzip, MD5, manifests ---------------------------------------------------------------------

TEST(ExportFormatTest, GzipRoundTripsAndConcatenatedMembers) {
  std::mt19937_64 rng(7);
  std::string random(1 << 20, '\0');
  for (char& c : random) c = static_cast<char>(rng());
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += R"({"Item":{"pk":{"S":"item )" + std::to_string(i) + "\"}}}\n";
  for (const std::string& data : {std::string(), std::string("x"), random, text}) {
    const std::string gz = GzipCompress(data);
    ASSERT_GE(gz.size(), 18u);
    EXPECT_EQ(gz.substr(0, 2), "\x1f\x8b");
    const Result<std::string> back = GzipDecompress(gz, data.size());
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_TRUE(*back == data);
  }
  EXPECT_LT(GzipCompress(text).size(), text.size() / 5);
  const Result<std::string> joined =
      GzipDecompress(GzipCompress("first ") + GzipCompress("") + GzipCompress("second"), 100);
  ASSERT_TRUE(joined.ok()) << joined.status().message();
  EXPECT_EQ(*joined, "first second");
  const Result<std::string> empty = GzipDecompress("", 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

TEST(ExportFormatTest, GzipRefusesJunkAndBoundsItsOutput) {
  const std::string gz = GzipCompress(std::string(100000, 'a'));
  const Result<std::string> too_big = GzipDecompress(gz, 99999);
  EXPECT_EQ(too_big.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(GzipDecompress("not gzip at all", 1000).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(GzipDecompress(gz.substr(0, gz.size() - 1), 1 << 20).status().code(),
            Status::Code::kCorruption);
  EXPECT_EQ(GzipDecompress(gz.substr(0, 10), 1 << 20).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(GzipDecompress(gz + "junk", 1 << 20).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(GzipDecompress(gz + std::string(8, '\0'), 1 << 20).status().code(),
            Status::Code::kCorruption);
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 6] ^= 1;
  EXPECT_EQ(GzipDecompress(bad_crc, 1 << 20).status().code(), Status::Code::kCorruption);
  // A zip bomb stops at the bound: 10 MB of zeros compress to ~10 KB.
  const std::string bomb = GzipCompress(std::string(10 << 20, '\0'));
  EXPECT_LT(bomb.size(), 20000u);
  EXPECT_EQ(GzipDecompress(bomb, 1 << 20).status().code(), Status::Code::kInvalidArgument);
}

TEST(ExportFormatTest, Md5) {
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Base64(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(Md5Hex("The quick brown fox jumps over the lazy dog"),
            "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(Md5Base64("The quick brown fox jumps over the lazy dog"), "nhB9nTcrtoJr2B01QqQZ1g==");
}

TEST(ExportFormatTest, ManifestFilesLine) {
  EXPECT_EQ(ManifestFilesLine(8, "sQMSpEILNgoQmarvDFonGQ==", "af83d6f217c19b8b0fff8023d8ca4716-1",
                              "AWSDynamoDB/11111111111111-22222222/data/33334444EXAMPLE.json.gz"),
            R"({"itemCount":8,"md5Checksum":"sQMSpEILNgoQmarvDFonGQ==",)"
            R"("etag":"af83d6f217c19b8b0fff8023d8ca4716-1",)"
            R"("dataFileS3Key":"AWSDynamoDB/11111111111111-22222222/data/33334444EXAMPLE.json.gz"})"
            "\n");
  EXPECT_EQ(ManifestFilesLine(0, "", "\"q\"", "k"),
            R"({"itemCount":0,"md5Checksum":"","etag":"\"q\"","dataFileS3Key":"k"})"
            "\n");
}

TEST(ExportFormatTest, ManifestSummary) {
  ManifestSummary s;
  s.export_arn =
      "arn:aws:dynamodb:us-east-1:123456789012:table/ProductCatalog/export/01234567890123-a1b2c3d4";
  s.start_time_ms = 1604474914028;
  s.end_time_ms = 1604475223897;
  s.table_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/ProductCatalog";
  s.table_id = "12345a12-abcd-123a-ab12-1234abc12345";
  s.export_time_ms = 1604474914028;
  s.s3_bucket = "ddb-productcatalog-export";
  s.s3_prefix = "2020-Nov";
  s.s3_sse_algorithm = "AES256";
  s.manifest_files_s3_key = "AWSDynamoDB/01345678901234-abc12345/manifest-files.json";
  s.item_count = 8;
  EXPECT_EQ(
      ManifestSummaryJson(s),
      R"({"version":"2020-06-30",)"
      R"("exportArn":"arn:aws:dynamodb:us-east-1:123456789012:table/ProductCatalog/export/01234567890123-a1b2c3d4",)"
      R"("startTime":"2020-11-04T07:28:34.028Z","endTime":"2020-11-04T07:33:43.897Z",)"
      R"("tableArn":"arn:aws:dynamodb:us-east-1:123456789012:table/ProductCatalog",)"
      R"("tableId":"12345a12-abcd-123a-ab12-1234abc12345",)"
      R"("exportTime":"2020-11-04T07:28:34.028Z","s3Bucket":"ddb-productcatalog-export",)"
      R"("s3Prefix":"2020-Nov","s3SseAlgorithm":"AES256","s3SseKmsKeyId":null,)"
      R"("manifestFilesS3Key":"AWSDynamoDB/01345678901234-abc12345/manifest-files.json",)"
      R"("billedSizeBytes":0,"itemCount":8,"outputFormat":"DYNAMODB_JSON",)"
      R"("exportType":"FULL_EXPORT"})");
  const boost::json::value parsed = boost::json::parse(ManifestSummaryJson({}));
  EXPECT_TRUE(parsed.at("s3Prefix").is_null());
  EXPECT_EQ(parsed.at("startTime").as_string(), "1970-01-01T00:00:00.000Z");
}

TEST(ExportFormatTest, IsoTime) {
  EXPECT_EQ(IsoTime(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(IsoTime(1602796763611), "2020-10-15T21:19:23.611Z");
  EXPECT_EQ(IsoTime(1583020799999), "2020-02-29T23:59:59.999Z");
  EXPECT_EQ(IsoTime(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(IsoTime(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(IsoTime(UINT64_MAX), "9999-12-31T23:59:59.999Z");  // clamped
}

// ---- Mutation fuzzing -------------------------------------------------------------------------

std::string Mutate(std::string s, std::mt19937_64& rng) {
  static const char kAlphabet[] = "{}[](),:'\"\\/*$_-+.0123456789dDeExXbBuU \n\r\t=aZ\xff\xc3\x80";
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    const size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
    const char c = kAlphabet[rng() % (sizeof kAlphabet - 1)];
    switch (rng() % 6) {
      case 0:
        if (at < s.size()) s[at] = c;
        break;                                                             // replace
      case 1: s.insert(s.begin() + static_cast<ptrdiff_t>(at), c); break;  // insert
      case 2:
        if (at < s.size()) s.erase(at, 1 + rng() % 3);
        break;                      // delete
      case 3: s.resize(at); break;  // truncate
      case 4: {                     // duplicate a span
        const size_t len = std::min<size_t>(s.size() - std::min(at, s.size()), rng() % 16);
        s.insert(at, s.substr(at, len));
        break;
      }
      default:
        if (at < s.size()) s[at] = static_cast<char>(rng());
        break;  // any byte
    }
  }
  return s;
}

// Whatever the line, an item or an error; an item survives both writers unchanged.
void CheckParsed(const Result<Item>& r, const std::string& line) {
  if (!r.ok()) {
    EXPECT_FALSE(r.status().message().empty()) << line;
    return;
  }
  ExpectRoundTrips(*r);
}

TEST(ExportFormatTest, MutatedLinesNeverCrashTheParsers) {
  std::mt19937_64 rng(424242);
  int parsed_json = 0;
  int parsed_ion = 0;
  for (int i = 0; i < 20000; ++i) {
    const Item item = RandomItem(rng);
    const std::string json = Mutate(JsonLine(item), rng);
    const std::string ion = Mutate(IonLine(item), rng);
    const Result<Item> from_json = ParseDynamoDbJsonLine(json);
    const Result<Item> from_ion = ParseIonLine(ion);
    CheckParsed(from_json, json);
    CheckParsed(from_ion, ion);
    parsed_json += from_json.ok();
    parsed_ion += from_ion.ok();
    if (HasFailure()) break;
  }
  // Some mutations are harmless (in a string, a digit): both outcomes are exercised.
  EXPECT_GT(parsed_json, 500);
  EXPECT_GT(parsed_ion, 500);
  EXPECT_LT(parsed_json, 19000);
  EXPECT_LT(parsed_ion, 19000);
}

TEST(ExportFormatTest, MutatedCsvAndGzipNeverCrash) {
  std::mt19937_64 rng(99);
  const std::string csv = "pk,sk,\"na,me\"\n1,aGk=,\"x\"\"y\"\n2,,\"multi\nline\"\r\n3,YQ==,z\n";
  const auto key_types = [](std::string_view name) -> std::optional<char> {
    if (name == "pk") return 'N';
    if (name == "sk") return 'B';
    return std::nullopt;
  };
  const std::string gz = GzipCompress(csv + csv + csv);
  for (int i = 0; i < 5000; ++i) {
    const std::string text = Mutate(csv, rng);
    const CsvRun run = RunCsv(text, {}, key_types);
    if (!run.status.ok()) {
      EXPECT_FALSE(run.status.message().empty()) << text;
    }
    for (const Item& item : run.items) ExpectRoundTrips(item);
    const Result<std::string> out = GzipDecompress(Mutate(gz, rng), 1 << 16);
    if (!out.ok()) {
      EXPECT_TRUE(out.status().code() == Status::Code::kCorruption ||
                  out.status().code() == Status::Code::kInvalidArgument);
    }
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace meridian::api
