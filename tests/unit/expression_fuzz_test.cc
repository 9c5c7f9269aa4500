// Robustness: thousands of random and garbage strings (fixed seeds, so a failure replays)
// through every parser, and whatever parses through the evaluators. Nothing may crash, hang
// or answer with anything but ok / InvalidArgument.
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/expression.h"
#include "tests/unit/expression_test_util.h"

namespace meridian::model::expr::test {
namespace {

// Fragments that make random strings look like expressions often enough to reach deep into
// the grammar, plus a few hostile ones.
const std::vector<std::string>& Fragments() {
  static const std::vector<std::string> kFragments = {"a",
                                                      "b",
                                                      "c",
                                                      "#n",
                                                      "#m",
                                                      "#undefined",
                                                      ":v",
                                                      ":n",
                                                      ":l",
                                                      ":s",
                                                      ":m",
                                                      ":undefined",
                                                      " ",
                                                      " ",
                                                      " ",
                                                      "=",
                                                      "<>",
                                                      "<",
                                                      "<=",
                                                      ">",
                                                      ">=",
                                                      "(",
                                                      ")",
                                                      "((",
                                                      "))",
                                                      "[",
                                                      "]",
                                                      "[0]",
                                                      "[1]",
                                                      "[99]",
                                                      ".",
                                                      ",",
                                                      "+",
                                                      "-",
                                                      "AND",
                                                      "OR",
                                                      "NOT",
                                                      "BETWEEN",
                                                      "IN",
                                                      "and",
                                                      "SET",
                                                      "REMOVE",
                                                      "ADD",
                                                      "DELETE",
                                                      "set",
                                                      "size",
                                                      "size(",
                                                      "attribute_exists(",
                                                      "attribute_type(",
                                                      "begins_with(",
                                                      "contains(",
                                                      "if_not_exists(",
                                                      "list_append(",
                                                      "attribute_not_exists(",
                                                      "name",
                                                      "status",
                                                      "1",
                                                      "42",
                                                      "\"",
                                                      "'",
                                                      "!",
                                                      "*",
                                                      "/",
                                                      "\\",
                                                      "\t",
                                                      "\n",
                                                      "\xC3\xA9",
                                                      "\xF0\x9D\x84\x9E",
                                                      "\xFF",
                                                      "\x80",
                                                      std::string(1, '\0'),
                                                      "#",
                                                      ":",
                                                      "a.b.c",
                                                      "x[2].y"};
  return kFragments;
}

std::string RandomExpression(std::mt19937& rng) {
  const auto& fragments = Fragments();
  std::uniform_int_distribution<size_t> count(0, 24);
  std::uniform_int_distribution<size_t> pick(0, fragments.size() - 1);
  std::string s;
  size_t n = count(rng);
  for (size_t i = 0; i < n; ++i) s += fragments[pick(rng)];
  return s;
}

std::string RandomBytes(std::mt19937& rng) {
  std::uniform_int_distribution<int> len(0, 64);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(static_cast<size_t>(len(rng)), '\0');
  for (char& c : s) c = static_cast<char>(byte(rng));
  return s;
}

class ExpressionFuzzTest : public ::testing::Test {
 protected:
  ExpressionFuzzTest() {
    env_.Name("#n", "n").Name("#m", "name");
    env_.Value(":v", S("v")).Value(":n", N("1")).Value(":l", L({S("x")}));
    env_.Value(":s", SS({"a", "b"})).Value(":m", M({{"k", N("2")}}));
    item_ = Item{{"a", N("5")},
                 {"b", L({S("x"), M({{"y", S("z")}}), N("3")})},
                 {"c", M({{"d", SS({"a"})}, {"e", S("text")}})},
                 {"n", S("name")},
                 {"name", NS({"1", "2"})}};
  }

  // Runs `text` through every parser and, when it parses, through the evaluators.
  void Exercise(const std::string& text) {
    auto check = [&](const Status& st) {
      EXPECT_TRUE(st.ok() || st.code() == Status::Code::kInvalidArgument)
          << "input: " << ::testing::PrintToString(text) << " -> " << st.ToString();
      EXPECT_TRUE(st.ok() || !st.message().empty());
    };
    for (const char* kind : {"ConditionExpression", "FilterExpression"}) {
      auto cond = ParseCondition(text, kind, env_.ctx);
      check(cond.status());
      if (cond.ok()) {
        ++parsed_;
        ++parsed_conditions_;
        check(EvaluateCondition(**cond, item_).status());
        check(EvaluateCondition(**cond, Item{}).status());
      }
    }
    auto update = ParseUpdate(text, env_.ctx);
    check(update.status());
    if (update.ok()) {
      ++parsed_;
      ++parsed_updates_;
      Item copy = item_;
      Status st = ApplyUpdate(**update, &copy);
      check(st);
      if (!st.ok()) {
        EXPECT_EQ(copy, item_) << "partial update for " << text;
      }
      (void)UpdatedPaths(**update);
    }
    auto projection = ParseProjection(text, env_.ctx);
    check(projection.status());
    if (projection.ok()) {
      ++parsed_;
      ++parsed_projections_;
      (void)Project(item_, *projection);
    }
    auto key = ParseKeyCondition(text, env_.ctx);
    check(key.status());
  }

  Env env_;
  Item item_;
  int parsed_ = 0;
  int parsed_conditions_ = 0;
  int parsed_updates_ = 0;
  int parsed_projections_ = 0;
};

TEST_F(ExpressionFuzzTest, RandomTokenSoup) {
  std::mt19937 rng(20240601);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 6000; ++i) Exercise(RandomExpression(rng));
  // The soup must reach past the syntax checks now and then, or the test proves little.
  EXPECT_GT(parsed_, 50);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

TEST_F(ExpressionFuzzTest, RandomBytes) {
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) Exercise(RandomBytes(rng));
}

TEST_F(ExpressionFuzzTest, MutatedValidExpressions) {
  const std::string update =
      std::string("SET a = a + :n, b[5] = :v, c.e = list_append(:l, if_not_exists(b, :l)) ") +
      "REMOVE b[0] ADD #m :s DELETE c.d :s";
  const std::vector<std::string> seeds = {
      "a = :v AND (b[1].y = :v OR NOT contains(c.d, :v))",
      "size(b) BETWEEN :n AND :n OR a IN (:n, :v, c.e)",
      update,
      "SET a = :n - a REMOVE b[1].y",
      "ADD a :n SET x = if_not_exists(c.e, :v)",
      "a, b[1].y, c.e, #n, #m",
      "#n = :v AND begins_with(c.e, :v)",
  };
  for (const std::string& seed : seeds) {
    ASSERT_TRUE(ParseCondition(seed, "ConditionExpression", env_.ctx).ok() ||
                ParseUpdate(seed, env_.ctx).ok() || ParseProjection(seed, env_.ctx).ok())
        << seed;
  }
  std::mt19937 rng(99);
  std::uniform_int_distribution<int> op(0, 2);
  const auto& fragments = Fragments();
  std::uniform_int_distribution<size_t> pick(0, fragments.size() - 1);
  for (int i = 0; i < 4000; ++i) {
    std::string s = seeds[static_cast<size_t>(i) % seeds.size()];
    int edits = 1 + i % 4;
    for (int e = 0; e < edits && !s.empty(); ++e) {
      std::uniform_int_distribution<size_t> at(0, s.size() - 1);
      size_t p = at(rng);
      switch (op(rng)) {
        case 0: s.erase(p, 1 + p % 3); break;
        case 1: s.insert(p, fragments[pick(rng)]); break;
        default: s[p] = fragments[pick(rng)][0]; break;
      }
    }
    Exercise(s);
  }
  // Every parser must see inputs it accepts, so the evaluators get exercised too.
  EXPECT_GT(parsed_conditions_, 100);
  EXPECT_GT(parsed_updates_, 20);
  EXPECT_GT(parsed_projections_, 20);
}

TEST_F(ExpressionFuzzTest, PathologicalNesting) {
  for (int depth : {1, 2, 50, 399, 400, 401, 1000, 2000}) {
    Exercise(std::string(static_cast<size_t>(depth), '(') + "a = :v" +
             std::string(static_cast<size_t>(depth), ')'));
    Exercise(std::string(static_cast<size_t>(depth), '(') + "a" +
             std::string(static_cast<size_t>(depth), ')') + " = :v");
    std::string nots;
    for (int i = 0; i < depth; ++i) nots += "NOT ";
    Exercise(nots + "a = :v");
    std::string nested = "a = :v";
    for (int i = 0; i < depth && nested.size() < 4000; ++i) nested = "(" + nested + " AND a = :v)";
    Exercise(nested);
    Exercise("SET a = " + std::string(static_cast<size_t>(depth), '(') + "b" +
             std::string(static_cast<size_t>(depth), ')'));
    std::string fn = "a";
    for (int i = 0; i < depth && fn.size() < 4000; ++i) fn = "size(" + fn + ")";
    Exercise(fn + " = :n");
  }
  Exercise(std::string(4096, '('));
  Exercise(std::string(4096, 'a'));
  Exercise(std::string(5000, ' '));
  std::string long_path = "a";
  while (long_path.size() < 4000) long_path += ".a[1]";
  Exercise(long_path + " = :v");
}

}  // namespace
}  // namespace meridian::model::expr::test
