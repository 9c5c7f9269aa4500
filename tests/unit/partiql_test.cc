// PartiQL parser: the statement shapes, literals and conditions it accepts, DynamoDB's
// messages for what it refuses, and garbage (fixed seeds) that must never crash or hang it.
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/partiql.h"

namespace meridian::model::partiql {
namespace {

Statement Ok(std::string_view text) {
  auto s = Parse(text);
  EXPECT_TRUE(s.ok()) << text << ": " << s.status().message();
  return s.ok() ? *s : Statement{};
}

std::string Error(std::string_view text) {
  auto s = Parse(text);
  EXPECT_FALSE(s.ok()) << text;
  return s.ok() ? "" : s.status().message();
}

TEST(PartiqlTest, Select) {
  Statement s = Ok(R"(select a, "b c".d[2], m['k'] FROM "T"."I" WHERE a = 1 ORDER BY sk DESC;)");
  EXPECT_EQ(s.kind, Statement::Kind::kSelect);
  EXPECT_EQ(s.table, "T");
  EXPECT_EQ(*s.index, "I");
  ASSERT_EQ(s.projection.size(), 3u);
  EXPECT_EQ(PathText(s.projection[1]), "b c.d[2]");
  EXPECT_EQ(PathText(s.projection[2]), "m.k");
  EXPECT_TRUE(s.descending);
  EXPECT_EQ(s.where->kind, Cond::Kind::kCompare);

  s = Ok("SELECT * FROM t WHERE a IN [1, 2] AND NOT b BETWEEN 'x' AND 'y' OR c IS NOT MISSING");
  ASSERT_EQ(s.where->kind, Cond::Kind::kOr);  // AND binds tighter than OR
  EXPECT_EQ(s.where->children[0].kind, Cond::Kind::kAnd);
  EXPECT_EQ(s.where->children[0].children[0].kind, Cond::Kind::kIn);
  EXPECT_EQ(s.where->children[0].children[0].operands.size(), 3u);
  EXPECT_EQ(s.where->children[0].children[1].kind, Cond::Kind::kNot);
  EXPECT_EQ(s.where->children[1].kind, Cond::Kind::kNot);
  EXPECT_EQ(s.where->children[1].children[0].kind, Cond::Kind::kIsMissing);

  s = Ok("SELECT * FROM t WHERE BEGINS_WITH(a, ?) AND size(b) > ? AND c <> ? -- comment");
  EXPECT_EQ(s.parameters, 3);
  EXPECT_EQ(s.where->children[0].kind, Cond::Kind::kCall);
  EXPECT_EQ(s.where->children[0].op, "begins_with");
  EXPECT_EQ(s.where->children[1].operands[0].kind, Expr::Kind::kCall);
}

TEST(PartiqlTest, LiteralsBind) {
  Statement s =
      Ok("INSERT INTO t VALUE {'pk': 'a''b', 'n': -1.5e2, 't': TRUE, 'z': null, "
         "'l': [1, ?], 'ss': <<'y', 'x', 'y'>>, 'ns': <<3, 1>>, 'm': {'k': {}}}");
  auto v = Bind(s.value, {AttributeValue::S("p")});
  ASSERT_TRUE(v.ok()) << v.status().message();
  const auto& m = v->m();
  EXPECT_EQ(m.at("pk").s(), "a'b");
  EXPECT_EQ(m.at("n").n().ToString(), "-150");
  EXPECT_TRUE(m.at("t").boolean());
  EXPECT_EQ(m.at("z").type(), AttrType::kNull);
  EXPECT_EQ(m.at("l").l()[1].s(), "p");
  EXPECT_EQ(m.at("ss").ss(), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(m.at("ns").ns().size(), 2u);
  EXPECT_EQ(m.at("m").m().at("k").type(), AttrType::kM);

  s = Ok("INSERT INTO t VALUE {'s': <<1, 'a'>>}");
  EXPECT_FALSE(Bind(s.value, {}).ok());
  s = Ok("INSERT INTO t VALUE {'a': 1, 'a': 2}");
  EXPECT_FALSE(Bind(s.value, {}).ok());
}

TEST(PartiqlTest, UpdateAndDelete) {
  Statement s =
      Ok("UPDATE t SET a = a + 1, b = list_append(b, [1]) SET c = set_add(c, <<'x'>>) "
         "REMOVE d, e[0] WHERE pk = 'k' RETURNING MODIFIED NEW *");
  EXPECT_EQ(s.sets.size(), 3u);
  EXPECT_EQ(s.sets[0].value.kind, Expr::Kind::kAdd);
  EXPECT_EQ(s.sets[1].value.function, "list_append");
  EXPECT_EQ(s.removes.size(), 2u);
  EXPECT_EQ(s.returning, "UPDATED_NEW");
  s = Ok("DELETE FROM t WHERE pk = 'k' AND attribute_exists(x) RETURNING ALL OLD *");
  EXPECT_EQ(s.returning, "ALL_OLD");
  s = Ok("EXISTS(SELECT * FROM t WHERE pk = 'k' AND v = 1)");
  EXPECT_EQ(s.kind, Statement::Kind::kExists);
}

TEST(PartiqlTest, Errors) {
  const std::string p = "Statement wasn't well formed, can't be processed: ";
  EXPECT_EQ(Error("SLECT * FROM t"), p + "Expected data manipulation");
  EXPECT_EQ(Error(""), p + "Expected data manipulation");
  EXPECT_EQ(Error("SELECT * FROM t WHERE"), p + "Unexpected term");
  EXPECT_EQ(Error("SELECT * FROM t WHERE a = 1 AND"),
            p + "Missing right-hand side expression of infix operator");
  EXPECT_EQ(Error("SELECT * FROM t WHERE a = 1 b"), p + "Unexpected token after expression");
  EXPECT_EQ(Error("DELETE FROM WHERE a = 1"), p + "Expected identifier for simple path");
  EXPECT_EQ(Error("SELECT * FROM t x"), "Aliasing is not supported");
  EXPECT_EQ(Error("SELECT * FROM a.b.c"),
            "A path may contain at most 2 components in the FROM clause");
  EXPECT_EQ(Error("SELECT * FROM \"\""), "Path component cannot be an empty string");
  EXPECT_EQ(Error("INSERT INTO t VALUE 'x'"),
            "Unsupported format in item expression. Please use struct format {...} to express "
            "item values for insert statement.");
  EXPECT_EQ(Error("INSERT INTO t VALUE {'a': 1} RETURNING ALL OLD *"),
            "RETURNING is not supported in INSERT");
  EXPECT_EQ(Error("DELETE FROM t WHERE a = 1 RETURNING MODIFIED OLD *"),
            "Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is "
            "allowed in DELETE statements.");
  EXPECT_EQ(Error("SELECT * FROM t WHERE a = <<>>"), "Empty bags are not supported");
  EXPECT_EQ(Error("SELECT * FROM t WHERE a = 'unterminated"), p + "Unterminated string literal");
  EXPECT_NE(Error("SELECT * FROM t WHERE a = 1e999").find("Number overflow"), std::string::npos);
  EXPECT_EQ(
      Error("SELECT * FROM t WHERE " + std::string(200, '(') + "a = 1" + std::string(200, ')')),
      p + "Statement is nested too deeply");
}

// Random token soups: Parse answers ok or InvalidArgument, never crashes or loops.
TEST(PartiqlTest, FuzzNeverCrashes) {
  const std::vector<std::string> parts = {"SELECT", "*",       "FROM",
                                          "t",      "\"T\"",   "WHERE",
                                          "a",      "b.c",     "[0]",
                                          "=",      "<>",      "<",
                                          ">=",     "AND",     "OR",
                                          "NOT",    "(",       ")",
                                          "[",      "]",       "{",
                                          "}",      "<<",      ">>",
                                          "'s'",    "''",      "1",
                                          "-",      "+",       "1.5e3",
                                          "?",      ",",       ".",
                                          ":",      "IN",      "BETWEEN",
                                          "IS",     "MISSING", "NULL",
                                          "TRUE",   "UPDATE",  "SET",
                                          "REMOVE", "DELETE",  "INSERT",
                                          "INTO",   "VALUE",   "RETURNING",
                                          "ALL",    "OLD",     "NEW",
                                          "ORDER",  "BY",      "DESC",
                                          "EXISTS", "size(",   "begins_with(",
                                          "\"",     "'",       "\\",
                                          "/*",     "--",      "\xc3",
                                          ";"};
  const std::vector<std::string> seeds = {
      "SELECT a, b.c[1] FROM \"T\".\"I\" WHERE a = ? AND b IN [1, 'x'] ORDER BY s DESC",
      "INSERT INTO t VALUE {'pk': 'a', 'l': [1, {'m': <<1, 2>>}]}",
      "UPDATE t SET a = a + 1, b = set_add(b, <<'x'>>) REMOVE c WHERE pk = ? RETURNING ALL NEW *",
      "DELETE FROM t WHERE pk = 'k' AND (x IS MISSING OR NOT begins_with(y, 'p'))",
      "EXISTS(SELECT * FROM t WHERE pk = 1 AND size(v) BETWEEN 1 AND 3)"};
  std::mt19937 rng(12345);
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    if (i % 2) {  // a token soup
      const int n = 1 + static_cast<int>(rng() % 16);
      for (int k = 0; k < n; ++k) text += parts[rng() % parts.size()] + (rng() % 3 ? " " : "");
    } else {  // a valid statement with a few bytes cut, replaced or inserted
      text = seeds[rng() % seeds.size()];
      for (int k = static_cast<int>(rng() % 3); k > 0; --k) {
        const size_t at = rng() % text.size();
        switch (rng() % 3) {
          case 0: text.erase(at, 1 + rng() % 4); break;
          case 1: text[at] = static_cast<char>(rng() % 256); break;
          default: text.insert(at, parts[rng() % parts.size()]);
        }
        if (text.empty()) text = "x";
      }
    }
    auto s = Parse(text);
    if (s.ok()) {
      ++parsed;
      std::vector<AttributeValue> params(static_cast<size_t>(s->parameters),
                                         AttributeValue::S("x"));
      if (s->kind == Statement::Kind::kInsert) (void)Bind(s->value, params);
    } else {
      EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument);
    }
  }
  EXPECT_GT(parsed, 0);  // the soup reaches valid statements too
}

}  // namespace
}  // namespace meridian::model::partiql
