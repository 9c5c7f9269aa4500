// Parse-time errors of condition, projection and key-condition expressions, checked against
// DynamoDB's exact messages.
#include <string>

#include <gtest/gtest.h>

#include "model/expression.h"
#include "tests/unit/expression_test_util.h"

namespace meridian::model::expr::test {
namespace {

constexpr char kCond[] = "Invalid ConditionExpression: ";

TEST(ConditionParseTest, AcceptsTheDocumentedForms) {
  Env env;
  env.Name("#n", "name").Value(":v", S("x")).Value(":w", S("y")).Value(":t", S("SS"));
  for (const char* text : {"a = :v",
                           "a <> :v",
                           "a < :v",
                           "a <= :v",
                           "a > :v",
                           "a >= :v",
                           "a BETWEEN :v AND :w",
                           "a between :v and :w",
                           "a IN (:v)",
                           "a IN (:v, :w, b.c)",
                           "attribute_exists(a)",
                           "attribute_not_exists(#n)",
                           "attribute_type(a, :t)",
                           "begins_with(a, :v)",
                           "contains(a, :v)",
                           "size(a) > :v",
                           ":v < size(a.b[3])",
                           "a = :v AND b = :w OR NOT c = :v",
                           "(a = :v)",
                           "((a = :v) AND b = :w)",
                           "NOT NOT a = :v",
                           "(a) = :v",
                           "a.b[1].c = :v",
                           "a . b [ 1 ] = :v",
                           "#n.x = :v",
                           "not(a = :v)",
                           "a=:v and(b=:w)",
                           "\ta\n=\r:v ",
                           "a_1 = :v"}) {
    EXPECT_EQ(env.ConditionError(text), "OK") << text;
  }
  // Names start with a letter: DynamoDB's lexer stops at "_" (alternator's
  // test_update_expression_name_token records DynamoDB's reply).
  EXPECT_EQ(env.ConditionError("_a = :v"),
            std::string(kCond) + "Syntax error; token: \"_\", near: \"_a\"");
}

TEST(ConditionParseTest, EmptyAndOversizedExpressions) {
  Env env;
  env.Value(":v", S("x"));
  EXPECT_EQ(env.ConditionError(""),
            "Invalid ConditionExpression: The expression can not be empty;");
  EXPECT_EQ(env.ConditionError("", "FilterExpression"),
            "Invalid FilterExpression: The expression can not be empty;");
  // 'a = :v' and repeats of ' AND a = :v' up to just over 4 KB, as DynamoDB was probed.
  std::string big = "a = :v";
  for (int i = 0; i < 373; ++i) big += " AND a = :v";
  ASSERT_EQ(big.size(), 4109u);
  EXPECT_EQ(env.ConditionError(big),
            "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; "
            "expression size: 4109");
  std::string fits = "a = :v" + std::string(4090, ' ');
  ASSERT_EQ(fits.size(), 4096u);
  EXPECT_EQ(env.ConditionError(fits), "OK");
}

TEST(ConditionParseTest, SyntaxErrorsQuoteTokenAndNeighbourhood) {
  Env env;
  env.Value(":v", S("x"));
  EXPECT_EQ(env.ConditionError("a = = b"),
            std::string(kCond) + "Syntax error; token: \"=\", near: \"= = b\"");
  EXPECT_EQ(env.ConditionError("foo"),
            std::string(kCond) + "Syntax error; token: \"<EOF>\", near: \"foo\"");
  EXPECT_EQ(env.ConditionError("a = "),
            std::string(kCond) + "Syntax error; token: \"<EOF>\", near: \"= \"");
  EXPECT_EQ(env.ConditionError("a == :v"),
            std::string(kCond) + "Syntax error; token: \"=\", near: \"== :v\"");
  EXPECT_EQ(env.ConditionError("my-attr = :v"),
            std::string(kCond) + "Syntax error; token: \"-\", near: \"my-attr\"");
  // Numbers are not literals: only :values are.
  EXPECT_EQ(env.ConditionError("a > 4"),
            std::string(kCond) + "Syntax error; token: \"4\", near: \"> 4\"");
  EXPECT_EQ(env.ConditionError("a = \"x\""),
            std::string(kCond) + "Syntax error; token: \"\"\", near: \"= \"x\"");
  EXPECT_EQ(env.ConditionError("a = :v b"),
            std::string(kCond) + "Syntax error; token: \"b\", near: \":v b\"");
  EXPECT_EQ(env.ConditionError("(a = :v"),
            std::string(kCond) + "Syntax error; token: \"<EOF>\", near: \":v\"");
  EXPECT_EQ(env.ConditionError("a = :v)"),
            std::string(kCond) + "Syntax error; token: \")\", near: \":v)\"");
  EXPECT_EQ(env.ConditionError("a[-1] = :v"),
            std::string(kCond) + "Syntax error; token: \"-\", near: \"[-1\"");
  EXPECT_EQ(env.ConditionError("a BETWEEN :v"),
            std::string(kCond) + "Syntax error; token: \"<EOF>\", near: \":v\"");
  EXPECT_EQ(env.ConditionError("a IN ()"),
            std::string(kCond) + "Syntax error; token: \")\", near: \"()\"");
  EXPECT_EQ(env.ConditionError("and = :v"),
            std::string(kCond) + "Syntax error; token: \"and\", near: \"and =\"");
  EXPECT_EQ(env.ConditionError("   "),
            std::string(kCond) + "Syntax error; token: \"<EOF>\", near: \"   \"");
  EXPECT_EQ(env.ConditionError("a = :v AND"),
            std::string(kCond) + "Syntax error; token: \"<EOF>\", near: \"AND\"");
  EXPECT_EQ(env.ConditionError("foo()"),
            std::string(kCond) + "Syntax error; token: \")\", near: \"()\"");
  EXPECT_EQ(env.ConditionError("a = :v ! b"),
            std::string(kCond) + "Syntax error; token: \"!\", near: \":v ! b\"");
}

TEST(ConditionParseTest, ReservedWordsAreRejectedCaseInsensitively) {
  Env env;
  env.Value(":v", S("x")).Name("#n", "name");
  EXPECT_EQ(env.ConditionError("name = :v"),
            std::string(kCond) + "Attribute name is a reserved keyword; reserved keyword: name");
  EXPECT_EQ(env.ConditionError("a.Status = :v"),
            std::string(kCond) + "Attribute name is a reserved keyword; reserved keyword: Status");
  EXPECT_EQ(env.ConditionError("size = :v"),
            std::string(kCond) + "Attribute name is a reserved keyword; reserved keyword: size");
  EXPECT_EQ(env.ConditionError("x = :v AND zone = :v"),
            std::string(kCond) + "Attribute name is a reserved keyword; reserved keyword: zone");
  // Spot checks across the list, and the placeholder escape hatch.
  for (const char* word : {"ABORT", "absolute", "Bucket", "COLUMN", "data", "EXPLODE", "FLATTERN",
                           "INNTER", "keys", "LOGED", "Ttl", "UUID", "values", "YEAR"}) {
    EXPECT_NE(env.ConditionError(std::string(word) + " = :v"), "OK") << word;
  }
  for (const char* word : {"abortx", "myname", "item_id", "sizes2", "zones"}) {
    EXPECT_EQ(env.ConditionError(std::string(word) + " = :v"), "OK") << word;
  }
  EXPECT_EQ(env.ConditionError("#n = :v"), "OK");
}

TEST(ConditionParseTest, UndefinedPlaceholders) {
  Env env;
  env.Value(":v", S("x")).Name("#a", "a");
  EXPECT_EQ(env.ConditionError("a = :w"),
            std::string(kCond) +
                "An expression attribute value used in expression is not defined; attribute "
                "value: :w");
  EXPECT_EQ(env.ConditionError("#b = :v"),
            std::string(kCond) +
                "An expression attribute name used in the document path is not defined; "
                "attribute name: #b");
  EXPECT_EQ(env.ConditionError("a.#b = :v"),
            std::string(kCond) +
                "An expression attribute name used in the document path is not defined; "
                "attribute name: #b");
  ExpressionContext no_tables;
  auto r = ParseCondition("a = :v", "ConditionExpression", no_tables);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
}

TEST(ConditionParseTest, RecordsUsedPlaceholders) {
  Env env;
  env.Value(":v", S("x")).Value(":unused", S("y")).Name("#a", "a").Name("#b", "b");
  ASSERT_EQ(env.ConditionError("#a = :v AND size(#a) > :v"), "OK");
  EXPECT_EQ(env.ctx.used_names, (std::set<std::string>{"#a"}));
  EXPECT_EQ(env.ctx.used_values, (std::set<std::string>{":v"}));
  ASSERT_EQ(env.UpdateError("SET #b = :v"), "OK");
  EXPECT_EQ(env.ctx.used_names, (std::set<std::string>{"#a", "#b"}));
}

TEST(ConditionParseTest, FunctionErrors) {
  Env env;
  env.Value(":v", S("x")).Value(":n", N("1")).Value(":l", L({})).Value(":bad", S("X"));
  EXPECT_EQ(env.ConditionError("foo(a)"),
            std::string(kCond) + "Invalid function name; function: foo");
  EXPECT_EQ(env.ConditionError("Size(a) > :n"),
            std::string(kCond) + "Invalid function name; function: Size");
  EXPECT_EQ(env.ConditionError("if_not_exists(a, :v) = :v"),
            std::string(kCond) +
                "The function is not allowed in a condition expression; function: if_not_exists");
  EXPECT_EQ(env.ConditionError("attribute_exists(a, b)"),
            std::string(kCond) +
                "Incorrect number of operands for operator or function; operator or function: "
                "attribute_exists, number of operands: 2");
  EXPECT_EQ(env.ConditionError("begins_with(a)"),
            std::string(kCond) +
                "Incorrect number of operands for operator or function; operator or function: "
                "begins_with, number of operands: 1");
  EXPECT_EQ(env.ConditionError("attribute_exists(:v)"),
            std::string(kCond) +
                "Operator or function requires a document path; operator or function: "
                "attribute_exists");
  EXPECT_EQ(env.ConditionError("attribute_type(a, :bad)"),
            std::string(kCond) +
                "Invalid attribute type name found; type: X, valid types: "
                "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
  EXPECT_EQ(env.ConditionError("attribute_type(a, :n)"),
            std::string(kCond) +
                "Incorrect operand type for operator or function; operator or function: "
                "attribute_type, operand type: N");
  EXPECT_EQ(env.ConditionError("attribute_type(a, b)"),
            std::string(kCond) +
                "Incorrect operand type for operator or function; operator or function: "
                "attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}");
  EXPECT_EQ(env.ConditionError("begins_with(a, :n)"),
            std::string(kCond) +
                "Incorrect operand type for operator or function; operator or function: "
                "begins_with, operand type: N");
  EXPECT_EQ(env.ConditionError("size(:n) > :n"),
            std::string(kCond) +
                "Incorrect operand type for operator or function; operator or function: size, "
                "operand type: N");
  EXPECT_EQ(env.ConditionError("a < :l"),
            std::string(kCond) +
                "Incorrect operand type for operator or function; operator or function: <, "
                "operand type: L");
  EXPECT_EQ(env.ConditionError("a BETWEEN :l AND :l"),
            std::string(kCond) +
                "Incorrect operand type for operator or function; operator or function: "
                "BETWEEN, operand type: L");
  EXPECT_EQ(env.ConditionError("a = :l AND a <> :l AND a IN (:l)"), "OK");
}

TEST(ConditionParseTest, MisusedFunctionsAndRedundantParentheses) {
  Env env;
  env.Value(":v", S("x"));
  EXPECT_EQ(env.ConditionError("attribute_exists(a) = :v"),
            std::string(kCond) +
                "The function is not allowed to be used this way in an expression; function: "
                "attribute_exists");
  EXPECT_EQ(env.ConditionError("size(a)"),
            std::string(kCond) +
                "The function is not allowed to be used this way in an expression; function: size");
  EXPECT_EQ(env.ConditionError("contains(begins_with(a, :v), :v)"),
            std::string(kCond) +
                "The function is not allowed to be used this way in an expression; function: "
                "begins_with");
  EXPECT_EQ(env.ConditionError("((a = :v))"),
            std::string(kCond) + "The expression has redundant parentheses;");
  EXPECT_EQ(env.ConditionError("((a)) = :v"),
            std::string(kCond) + "The expression has redundant parentheses;");
  EXPECT_EQ(env.ConditionError("((a = :v) OR (b = :v))"), "OK");
}

TEST(ConditionParseTest, OperandRules) {
  Env env;
  env.Value(":a", S("a")).Value(":b", S("b")).Value(":n", N("1"));
  EXPECT_EQ(env.ConditionError("a = a"),
            std::string(kCond) +
                "The first operand must be distinct from the remaining operands for this "
                "operator or function; operator: =, first operand: [a]");
  EXPECT_EQ(env.ConditionError("contains(a.b[1], a.b[1])"),
            std::string(kCond) +
                "The first operand must be distinct from the remaining operands for this "
                "operator or function; operator: contains, first operand: [a, b, [1]]");
  EXPECT_EQ(env.ConditionError("a IN (b, a)"),
            std::string(kCond) +
                "The first operand must be distinct from the remaining operands for this "
                "operator or function; operator: IN, first operand: [a]");
  EXPECT_EQ(env.ConditionError("a BETWEEN :n AND :a"),
            std::string(kCond) +
                "The BETWEEN operator requires same data type for lower and upper bounds; lower "
                "bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: "
                "{S:a}");
  EXPECT_EQ(env.ConditionError("a BETWEEN :b AND :a"),
            std::string(kCond) +
                "The BETWEEN operator requires upper bound to be greater than or equal to lower "
                "bound; lower bound operand: AttributeValue: {S:b}, upper bound operand: "
                "AttributeValue: {S:a}");
  EXPECT_EQ(env.ConditionError("a BETWEEN :a AND :a"), "OK");
}

TEST(ConditionParseTest, Limits) {
  Env env;
  env.Value(":v", S("x"));
  auto in_list = [](int n) {
    std::string s = "a IN (";
    for (int i = 0; i < n; ++i) s += i ? ", :v" : ":v";
    return s + ")";
  };
  EXPECT_EQ(env.ConditionError(in_list(100)), "OK");
  EXPECT_EQ(env.ConditionError(in_list(101)),
            std::string(kCond) +
                "The IN operator is provided with too many operands; number of operands: 101");
  auto deep = [](int n) {
    std::string s = "a";
    for (int i = 1; i < n; ++i) s += ".a";
    return s + " = :v";
  };
  EXPECT_EQ(env.ConditionError(deep(32)), "OK");
  EXPECT_EQ(
      env.ConditionError(deep(33)),
      std::string(kCond) + "The document path has too many nesting levels; nesting levels: 33");
  std::string many = "a = :v";
  for (int i = 0; i < 150; ++i) many += " AND a = :v";  // 151 comparisons + 150 ANDs
  EXPECT_EQ(env.ConditionError(many),
            std::string(kCond) + "The expression contains too many operators; operator count: 301");
  std::string enough = "a = :v";
  for (int i = 0; i < 149; ++i) enough += " AND a = :v";  // 299 operators
  EXPECT_EQ(env.ConditionError(enough), "OK");
  EXPECT_EQ(env.ConditionError("a[2147483647] = :v"), "OK");
  EXPECT_NE(env.ConditionError("a[2147483648] = :v"), "OK");
}

TEST(ProjectionParseTest, PathsAndErrors) {
  Env env;
  env.Name("#n", "name").Name("#x", "x");
  auto paths = ParseProjection("a, b.c[2], #n, d[0][1]", env.ctx);
  ASSERT_TRUE(paths.ok()) << paths.status().message();
  ASSERT_EQ(paths->size(), 4u);
  EXPECT_EQ(PathToString((*paths)[0]), "[a]");
  EXPECT_EQ(PathToString((*paths)[1]), "[b, c, [2]]");
  EXPECT_EQ(PathToString((*paths)[2]), "[name]");
  EXPECT_EQ(PathToString((*paths)[3]), "[d, [0], [1]]");
  EXPECT_EQ(env.ctx.used_names, (std::set<std::string>{"#n"}));

  constexpr char kProj[] = "Invalid ProjectionExpression: ";
  EXPECT_EQ(env.ProjectionError(""), std::string(kProj) + "The expression can not be empty;");
  EXPECT_EQ(env.ProjectionError("a, "),
            std::string(kProj) + "Syntax error; token: \"<EOF>\", near: \", \"");
  EXPECT_EQ(env.ProjectionError(":v"),
            std::string(kProj) + "Syntax error; token: \":v\", near: \":v\"");
  EXPECT_EQ(env.ProjectionError("a b"),
            std::string(kProj) + "Syntax error; token: \"b\", near: \"a b\"");
  EXPECT_EQ(env.ProjectionError("a, name"),
            std::string(kProj) + "Attribute name is a reserved keyword; reserved keyword: name");
  EXPECT_EQ(env.ProjectionError("#y"),
            std::string(kProj) +
                "An expression attribute name used in the document path is not defined; "
                "attribute name: #y");
  EXPECT_EQ(env.ProjectionError("a, a.b"),
            std::string(kProj) +
                "Two document paths overlap with each other; must remove or rewrite one of these "
                "paths; path one: [a, b], path two: [a]");
  EXPECT_EQ(env.ProjectionError("a.b, #x, a"),
            std::string(kProj) +
                "Two document paths overlap with each other; must remove or rewrite one of these "
                "paths; path one: [a], path two: [a, b]");
  EXPECT_EQ(env.ProjectionError("a[1], a[1]"),
            std::string(kProj) +
                "Two document paths overlap with each other; must remove or rewrite one of these "
                "paths; path one: [a, [1]], path two: [a, [1]]");
  EXPECT_EQ(env.ProjectionError("a.b, a[1]"),
            std::string(kProj) +
                "Two document paths conflict with each other; must remove or rewrite one of "
                "these paths; path one: [a, [1]], path two: [a, b]");
  EXPECT_EQ(env.ProjectionError("a.b, a.c, a[0].d"),
            std::string(kProj) +
                "Two document paths conflict with each other; must remove or rewrite one of "
                "these paths; path one: [a, [0], d], path two: [a, b]");
  EXPECT_EQ(env.ProjectionError("a.b, a.c"), "OK");
}

TEST(KeyConditionParseTest, AcceptedForms) {
  Env env;
  env.Value(":p", S("p")).Value(":a", S("a")).Value(":b", S("b")).Name("#k", "pk");
  auto kc = ParseKeyCondition("pk = :p", env.ctx);
  ASSERT_TRUE(kc.ok());
  EXPECT_EQ(kc->partition_name, "pk");
  EXPECT_EQ(kc->partition_value, S("p"));
  EXPECT_FALSE(kc->sort.has_value());

  struct Case {
    const char* text;
    KeyOp op;
    AttributeValue value, value2;
  };
  for (const Case& c : std::vector<Case>{
           {"#k = :p AND sk = :a", KeyOp::kEq, S("a"), {}},
           {"#k = :p AND sk < :a", KeyOp::kLt, S("a"), {}},
           {"#k = :p AND sk <= :a", KeyOp::kLe, S("a"), {}},
           {"#k = :p AND sk > :a", KeyOp::kGt, S("a"), {}},
           {"#k = :p AND sk >= :a", KeyOp::kGe, S("a"), {}},
           {"#k = :p AND :a < sk", KeyOp::kGt, S("a"), {}},
           {"#k = :p AND :a >= sk", KeyOp::kLe, S("a"), {}},
           {"#k = :p AND sk BETWEEN :a AND :b", KeyOp::kBetween, S("a"), S("b")},
           {"#k = :p AND begins_with(sk, :a)", KeyOp::kBeginsWith, S("a"), {}},
           {"sk > :a AND #k = :p", KeyOp::kGt, S("a"), {}},
           {"(#k = :p) AND (sk > :a)", KeyOp::kGt, S("a"), {}},
           {":p = #k AND sk > :a", KeyOp::kGt, S("a"), {}},
       }) {
    auto r = ParseKeyCondition(c.text, env.ctx);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status().message();
    EXPECT_EQ(r->partition_name, "pk") << c.text;
    EXPECT_EQ(r->partition_value, S("p")) << c.text;
    ASSERT_TRUE(r->sort.has_value()) << c.text;
    EXPECT_EQ(r->sort->name, "sk") << c.text;
    EXPECT_EQ(r->sort->op, c.op) << c.text;
    EXPECT_EQ(r->sort->value, c.value) << c.text;
    EXPECT_EQ(r->sort->value2, c.value2) << c.text;
  }
  // Without an equality the sole condition is reported as a sort condition.
  auto only_range = ParseKeyCondition("sk > :a", env.ctx);
  ASSERT_TRUE(only_range.ok());
  EXPECT_TRUE(only_range->partition_name.empty());
  ASSERT_TRUE(only_range->sort.has_value());
  EXPECT_EQ(only_range->sort->name, "sk");
}

TEST(KeyConditionParseTest, RejectedForms) {
  Env env;
  env.Value(":a", S("a")).Value(":b", S("b")).Value(":t", S("S"));
  const std::pair<const char*, const char*> cases[] = {
      {"a > :a and size(b) > :a or a > :b", "Invalid operator used in KeyConditionExpression: OR"},
      {"a IN (:a, :b)", "Invalid operator used in KeyConditionExpression: IN"},
      {"NOT a > :a", "Invalid operator used in KeyConditionExpression: NOT"},
      {"a <> :a", "Invalid operator used in KeyConditionExpression: <>"},
      {"attribute_exists(a)", "Invalid operator used in KeyConditionExpression: attribute_exists"},
      {"attribute_not_exists(a)",
       "Invalid operator used in KeyConditionExpression: attribute_not_exists"},
      {"attribute_type(a, :t)", "Invalid operator used in KeyConditionExpression: attribute_type"},
      {"contains(a.d, :a)", "Invalid operator used in KeyConditionExpression: contains"},
      {":a BETWEEN a AND :b",
       "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key "
       "attribute as its first operand"},
      {"begins_with(:a, b) and a > :b",
       "Invalid condition in KeyConditionExpression: begins_with operator must have the key "
       "attribute as its first operand"},
      {"size(b) > :a AND a > :b", "KeyConditionExpressions cannot contain nested operations"},
      {"b > a.b",
       "Invalid condition in KeyConditionExpression: Multiple attribute names used in "
       "one condition"},
      {"begins_with(a, b)",
       "Invalid condition in KeyConditionExpression: Multiple attribute "
       "names used in one condition"},
      {"a.d > :a", "KeyConditionExpressions cannot have conditions on nested attributes"},
      {"b[0] > :a", "KeyConditionExpressions cannot have conditions on nested attributes"},
      {":b > :a AND a < :b",
       "Invalid condition in KeyConditionExpression: No key attribute "
       "specified"},
      {"b > :a AND b < :a", "KeyConditionExpressions must only contain one condition per key"},
      {":a = a and b = :a and :a = c", "Conditions can be of length 1 or 2 only"},
      {"a > :a AND b < :b", "Query key condition not supported"},
  };
  for (const auto& [text, message] : cases) EXPECT_EQ(env.KeyError(text), message) << text;

  EXPECT_EQ(env.KeyError(""), "Invalid KeyConditionExpression: The expression can not be empty;");
  EXPECT_EQ(env.KeyError("a > 4"),
            "Invalid KeyConditionExpression: Syntax error; token: \"4\", near: \"> 4\"");
  EXPECT_EQ(env.KeyError("a = :hashId a"),
            "Invalid KeyConditionExpression: Syntax error; token: \"a\", near: \":hashId a\"");
  EXPECT_EQ(env.KeyError("a = :a b"),
            "Invalid KeyConditionExpression: Syntax error; token: \"b\", near: \":a b\"");
  EXPECT_EQ(env.KeyError("a BETWEEN :b AND :a"),
            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be "
            "greater than or equal to lower bound; lower bound operand: AttributeValue: {S:b}, "
            "upper bound operand: AttributeValue: {S:a}");
}

}  // namespace
}  // namespace meridian::model::expr::test
