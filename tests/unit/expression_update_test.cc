// UpdateExpression: parse-time errors and the effect of every action on items.
#include <string>

#include <gtest/gtest.h>

#include "model/expression.h"
#include "tests/unit/expression_test_util.h"

namespace meridian::model::expr::test {
namespace {

constexpr char kUpd[] = "Invalid UpdateExpression: ";
constexpr char kAbsentAttr[] =
    "The provided expression refers to an attribute that does not exist in the item";
constexpr char kWrongType[] = "An operand in the update expression has an incorrect data type";
constexpr char kBadPath[] =
    "The document path provided in the update expression is invalid for update";

// Parses and applies `text` to `item`; returns the error message or "OK".
std::string Apply(Env& env, std::string_view text, Item* item) {
  auto update = ParseUpdate(text, env.ctx);
  if (!update.ok()) return "parse: " + update.status().message();
  Status st = ApplyUpdate(**update, item);
  return st.ok() ? "OK" : st.message();
}

TEST(UpdateParseTest, SyntaxErrors) {
  Env env;
  env.Value(":v", S("x"));
  for (const char* text : {"whatever",
                           "set a",
                           "add a",
                           "delete a",
                           "set a=set",
                           "remove a = b",
                           "add a = b",
                           "delete a b",
                           "delete a if_not_exists(b, :v)",
                           "add a if_not_exists(b, :v)",
                           "remove a b",
                           "set a b",
                           "set :v = b",
                           "add :v b",
                           "remove :v",
                           "set a = b / c",
                           "set a = b * c",
                           "set a[1] = \"eight\"",
                           "set a[1] = 1",
                           "SET if_not_exists(a, b) = a",
                           "set (a = (b + c))",
                           "set a = (b.c).d + e",
                           "set a = b + c + d",
                           "SET a = :v,",
                           "SET a = :v REMOVE",
                           "SET a = :v, REMOVE b",
                           "   "}) {
    std::string error = env.UpdateError(text);
    EXPECT_EQ(error.rfind(std::string(kUpd) + "Syntax error; ", 0), 0u) << text << " -> " << error;
  }
  EXPECT_EQ(env.UpdateError("SET path = VALUE 1"),
            std::string(kUpd) + "Syntax error; token: \"1\", near: \"VALUE 1\"");
  EXPECT_EQ(env.UpdateError("SET my-attr = :v"),
            std::string(kUpd) + "Syntax error; token: \"-\", near: \"my-attr\"");
  EXPECT_EQ(env.UpdateError(""), std::string(kUpd) + "The expression can not be empty;");
  std::string big = "SET " + std::string(4088, 'a') + " = :v";
  ASSERT_EQ(big.size(), 4097u);
  EXPECT_EQ(env.UpdateError(big),
            std::string(kUpd) + "Expression size has exceeded the maximum allowed size;");
  EXPECT_EQ(env.UpdateError(big.substr(0, 4) + big.substr(5)), "OK");
}

TEST(UpdateParseTest, AcceptsEveryAction) {
  Env env;
  env.Value(":v", S("x")).Value(":n", N("1")).Value(":s", SS({"a"})).Value(":l", L({}));
  for (const char* text :
       {"SET a = :v", "set a = b, c = :v", "SET a = b + :n", "SET a = b - c", "SET a=:n+:n",
        "SET a = if_not_exists(a, :n) + :n", "SET a = list_append(a, :l)",
        "SET a = list_append(:l, if_not_exists(a, :l))", "SET b.c=((c[1])+(b.a)), b.a = a",
        "SET a = (b + c)", "REMOVE a, b.c, d[3]", "ADD a :n, b :s", "DELETE a :s",
        "remove a set b = :v add c :n delete d :s", "SET a[5] = :v, a[7] = :v",
        "SET a = :v REMOVE b ADD c :n DELETE d :s"}) {
    EXPECT_EQ(env.UpdateError(text), "OK") << text;
  }
}

TEST(UpdateParseTest, SemanticErrors) {
  Env env;
  env.Value(":a", S("a")).Value(":n", N("1")).Value(":s", SS({"a"})).Value(":l", L({}));
  env.Value(":b", B("b")).Value(":bool", Bool(true)).Value(":null", Null()).Value(":m", M({}));
  env.Name("#c", "c").Name("#d", "[3]");
  const std::pair<const char*, std::string> cases[] = {
      {"SET a = :v SET b = :a",
       "The \"SET\" section can only be used once in an update expression;"},
      {"remove #c set a = :a remove e",
       "The \"REMOVE\" section can only be used once in an update expression;"},
      {"add d :n set a = :a add e :n",
       "The \"ADD\" section can only be used once in an update expression;"},
      {"delete d :s set a = :a DELETE e :s",
       "The \"DELETE\" section can only be used once in an update expression;"},
      {" set #c = :a set abOrt = :a ",
       "Attribute name is a reserved keyword; reserved keyword: abOrt"},
      {"REMOVE Absolute", "Attribute name is a reserved keyword; reserved keyword: Absolute"},
      {"SET a = if_not_exist(a, :a)", "Invalid function name; function: if_not_exist"},
      {"SET a = attribute_exists(b)",
       "The function is not allowed in an update expression; function: attribute_exists"},
      {"SET a = size(b)", "The function is not allowed in an update expression; function: size"},
      {"SET #x = :a",
       "An expression attribute name used in the document path is not defined; attribute name: "
       "#x"},
      {"SET a = :zz",
       "An expression attribute value used in expression is not defined; attribute value: :zz"},
      {"SET a = :a, a.b = :a",
       "Two document paths overlap with each other; must remove or rewrite one of these paths; "
       "path one: [a, b], path two: [a]"},
      {"SET a.b = :a, a = :a",
       "Two document paths overlap with each other; must remove or rewrite one of these paths; "
       "path one: [a], path two: [a, b]"},
      {"SET a = :a REMOVE a",
       "Two document paths overlap with each other; must remove or rewrite one of these paths; "
       "path one: [a], path two: [a]"},
      {"set #c[3].#d = :a, #c[3] = :a",
       "Two document paths overlap with each other; must remove or rewrite one of these paths; "
       "path one: [c, [3]], path two: [c, [3], [3]]"},
      {"remove a.#c set a[1] = :a",
       "Two document paths conflict with each other; must remove or rewrite one of these paths; "
       "path one: [a, [1]], path two: [a, c]"},
      {"ADD a :a",
       "Incorrect operand type for operator or function; operator: ADD, operand type: STRING, "
       "typeSet: ALLOWED_FOR_ADD_OPERAND"},
      {"ADD a :l",
       "Incorrect operand type for operator or function; operator: ADD, operand type: LIST, "
       "typeSet: ALLOWED_FOR_ADD_OPERAND"},
      {"ADD a :m",
       "Incorrect operand type for operator or function; operator: ADD, operand type: MAP, "
       "typeSet: ALLOWED_FOR_ADD_OPERAND"},
      {"ADD a :bool",
       "Incorrect operand type for operator or function; operator: ADD, operand type: BOOLEAN, "
       "typeSet: ALLOWED_FOR_ADD_OPERAND"},
      {"DELETE a :n",
       "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER, "
       "typeSet: ALLOWED_FOR_DELETE_OPERAND"},
      {"DELETE a :b",
       "Incorrect operand type for operator or function; operator: DELETE, operand type: BINARY, "
       "typeSet: ALLOWED_FOR_DELETE_OPERAND"},
      {"DELETE a :null",
       "Incorrect operand type for operator or function; operator: DELETE, operand type: NULL, "
       "typeSet: ALLOWED_FOR_DELETE_OPERAND"},
      {"SET a = list_append(:a, a)",
       "Incorrect operand type for operator or function; operator or function: list_append, "
       "operand type: S"},
      {"SET a = list_append(a, :n)",
       "Incorrect operand type for operator or function; operator or function: list_append, "
       "operand type: N"},
      {"SET a = a + :a",
       "Incorrect operand type for operator or function; operator or function: +, operand type: S"},
      {"SET a = :s - a",
       "Incorrect operand type for operator or function; operator or function: -, operand type: "
       "SS"},
      {"SET a = list_append(a, :l) + :n",
       "Incorrect operand type for operator or function; operator or function: +, operand type: L"},
      {"SET a = if_not_exists(b)",
       "Incorrect number of operands for operator or function; operator or function: "
       "if_not_exists, number of operands: 1"},
      {"SET a = list_append(b)",
       "Incorrect number of operands for operator or function; operator or function: "
       "list_append, number of operands: 1"},
      {"SET a = if_not_exists(:a, c)",
       "Operator or function requires a document path; operator or function: if_not_exists"},
      {"SET a = if_not_exists(if_not_exists(a, b), c)",
       "Operator or function requires a document path; operator or function: if_not_exists"},
      {"SET a = if_not_exists(b, b)",
       "The first operand must be distinct from the remaining operands for this operator or "
       "function; operator: if_not_exists, first operand: [b]"},
      {"SET a = ((b))", "The expression has redundant parentheses;"},
  };
  for (const auto& [text, message] : cases) {
    EXPECT_EQ(env.UpdateError(text), std::string(kUpd) + message) << text;
  }
}

TEST(UpdatedPathsTest, ClauseOrderAsWritten) {
  Env env;
  env.Value(":v", S("x")).Value(":n", N("1")).Name("#n", "name");
  auto update = ParseUpdate("REMOVE z SET a.b = :v, #n[2] = :v ADD c :n", env.ctx);
  ASSERT_TRUE(update.ok());
  std::vector<Path> paths = UpdatedPaths(**update);
  ASSERT_EQ(paths.size(), 4u);
  EXPECT_EQ(PathToString(paths[0]), "[z]");
  EXPECT_EQ(PathToString(paths[1]), "[a, b]");
  EXPECT_EQ(PathToString(paths[2]), "[name, [2]]");
  EXPECT_EQ(PathToString(paths[3]), "[c]");
}

TEST(ApplyUpdateTest, SetAndArithmetic) {
  Env env;
  env.Value(":v", S("x")).Value(":n", N("2.5")).Value(":big", N("9E+125"));
  Item item{{"a", N("10")}, {"s", S("str")}};
  EXPECT_EQ(Apply(env, "SET b = :v, c = a + :n, d = a - :n, e = :n - a", &item), "OK");
  EXPECT_EQ(item.at("b"), S("x"));
  EXPECT_EQ(item.at("c"), N("12.5"));
  EXPECT_EQ(item.at("d"), N("7.5"));
  EXPECT_EQ(item.at("e"), N("-7.5"));
  EXPECT_EQ(Apply(env, "SET a = a + a", &item), "OK");
  EXPECT_EQ(item.at("a"), N("20"));
  // Every value is computed from the item before the update: a swap works.
  EXPECT_EQ(Apply(env, "SET a = s, s = a", &item), "OK");
  EXPECT_EQ(item.at("a"), S("str"));
  EXPECT_EQ(item.at("s"), N("20"));

  Item before = item;
  EXPECT_EQ(Apply(env, "SET x = :v, y = absent + :n", &item), kAbsentAttr);
  EXPECT_EQ(Apply(env, "SET x = :v, y = absent", &item), kAbsentAttr);
  EXPECT_EQ(Apply(env, "SET x = :v, y = a + :n", &item), kWrongType);
  EXPECT_EQ(Apply(env, "SET x = :v, y = :n + a", &item), kWrongType);
  EXPECT_EQ(Apply(env, "SET x = :big + :big, y = :v", &item),
            "Number overflow. Attempting to store a number with magnitude larger than supported "
            "range");
  EXPECT_EQ(item, before);  // all or nothing
}

TEST(ApplyUpdateTest, IfNotExistsAndListAppend) {
  Env env;
  env.Value(":zero", N("0")).Value(":one", N("1")).Value(":l", L({S("z")}));
  Item item{{"lst", L({S("a"), S("b")})}, {"n", N("5")}};
  EXPECT_EQ(
      Apply(env, "SET c = if_not_exists(c, :zero) + :one, n = if_not_exists(n, :zero)", &item),
      "OK");
  EXPECT_EQ(item.at("c"), N("1"));
  EXPECT_EQ(item.at("n"), N("5"));
  EXPECT_EQ(Apply(env, "SET lst = list_append(lst, :l), front = list_append(:l, lst)", &item),
            "OK");
  EXPECT_EQ(item.at("lst"), L({S("a"), S("b"), S("z")}));
  EXPECT_EQ(item.at("front"), L({S("z"), S("a"), S("b")}));
  EXPECT_EQ(Apply(env, "SET x = if_not_exists(n, absent)", &item), kAbsentAttr);
  EXPECT_EQ(Apply(env, "SET x = list_append(absent, :l)", &item), kAbsentAttr);
  EXPECT_EQ(Apply(env, "SET x = list_append(n, :l)", &item), kWrongType);
}

TEST(ApplyUpdateTest, NestedPaths) {
  Env env;
  env.Value(":v", S("v")).Value(":n", N("1")).Value(":set", SS({"x"}));
  Item item{{"m", M({{"a", N("1")}})}, {"l", L({S("x"), S("y")})}, {"s", S("str")}};
  EXPECT_EQ(Apply(env, "SET m.b = :v, m.a = m.a + :n, l[0] = :v", &item), "OK");
  EXPECT_EQ(item.at("m"), M({{"a", N("2")}, {"b", S("v")}}));
  EXPECT_EQ(item.at("l"), L({S("v"), S("y")}));
  // Writing past the end of a list appends, in index order.
  EXPECT_EQ(Apply(env, "SET l[9] = :n, l[5] = :v", &item), "OK");
  EXPECT_EQ(item.at("l"), L({S("v"), S("y"), S("v"), N("1")}));

  Item before = item;
  for (const char* text :
       {"SET absent.a = :v", "SET absent[0] = :v", "SET s.a = :v", "SET s[0] = :v", "SET m[0] = :v",
        "SET l.a = :v", "SET l[7].a = :v", "REMOVE absent.a", "REMOVE s.a", "REMOVE m[1]",
        "REMOVE l.x", "ADD absent.a :n", "DELETE l.x :set", "SET ok = :v, m.q.r = :v"}) {
    EXPECT_EQ(Apply(env, text, &item), kBadPath) << text;
  }
  EXPECT_EQ(item, before);
}

TEST(ApplyUpdateTest, RemoveUsesOriginalListIndexes) {
  Env env;
  Item item{{"l", L({S("0"), S("1"), S("2"), S("3"), S("4")})},
            {"m", M({{"a", N("1")}, {"b", N("2")}})},
            {"keep", S("k")}};
  EXPECT_EQ(Apply(env, "REMOVE l[1], l[3], l[42], m.a, absent, m.absent", &item), "OK");
  EXPECT_EQ(item.at("l"), L({S("0"), S("2"), S("4")}));
  EXPECT_EQ(item.at("m"), M({{"b", N("2")}}));
  EXPECT_EQ(Apply(env, "REMOVE keep, m", &item), "OK");
  EXPECT_EQ(item.count("keep"), 0u);
  EXPECT_EQ(item.count("m"), 0u);
}

TEST(ApplyUpdateTest, SetAndRemoveInTheSameListUseOriginalIndexes) {
  Env env;
  env.Value(":v", S("new"));
  Item item{{"l", L({S("a"), S("b"), S("c")})}};
  EXPECT_EQ(Apply(env, "REMOVE l[0] SET l[2] = :v", &item), "OK");
  EXPECT_EQ(item.at("l"), L({S("b"), S("new")}));
}

TEST(ApplyUpdateTest, AddNumbersAndSets) {
  Env env;
  env.Value(":n", N("3")).Value(":ss", SS({"b", "c"})).Value(":ns", NS({"2", "3"}));
  env.Value(":bs", BS({"\x01", "\x02"}));
  Item item{{"cnt", N("4")}, {"tags", SS({"a", "b"})}, {"nums", NS({"1", "2.0"})}, {"str", S("s")}};
  EXPECT_EQ(Apply(env, "ADD cnt :n, fresh :n, tags :ss, nums :ns, newset :ss, bin :bs", &item),
            "OK");
  EXPECT_EQ(item.at("cnt"), N("7"));
  EXPECT_EQ(item.at("fresh"), N("3"));  // a absent number counts as 0
  EXPECT_EQ(item.at("tags"), SS({"a", "b", "c"}));
  EXPECT_EQ(item.at("nums"), NS({"1", "2", "3"}));
  EXPECT_EQ(item.at("newset"), SS({"b", "c"}));
  EXPECT_EQ(item.at("bin"), BS({"\x01", "\x02"}));

  Item before = item;
  EXPECT_EQ(Apply(env, "ADD cnt :ss", &item), kWrongType);
  EXPECT_EQ(Apply(env, "ADD tags :ns", &item), kWrongType);
  EXPECT_EQ(Apply(env, "ADD tags :n", &item), kWrongType);
  EXPECT_EQ(Apply(env, "ADD fresh :n, str :n", &item), kWrongType);
  EXPECT_EQ(item, before);
}

TEST(ApplyUpdateTest, DeleteFromSets) {
  Env env;
  env.Value(":ss", SS({"b", "zz"})).Value(":all", SS({"a", "b", "c"})).Value(":ns", NS({"1.0"}));
  env.Value(":bs", BS({"\xff"}));
  Item item{{"tags", SS({"a", "b", "c"})},
            {"nums", NS({"1", "2"})},
            {"bin", BS({"\x01", "\xff"})},
            {"n", N("1")}};
  EXPECT_EQ(Apply(env, "DELETE tags :ss, nums :ns, bin :bs, absent :ss", &item), "OK");
  EXPECT_EQ(item.at("tags"), SS({"a", "c"}));
  EXPECT_EQ(item.at("nums"), NS({"2"}));
  EXPECT_EQ(item.at("bin"), BS({"\x01"}));
  EXPECT_EQ(item.count("absent"), 0u);
  // A set emptied by DELETE disappears.
  EXPECT_EQ(Apply(env, "DELETE tags :all", &item), "OK");
  EXPECT_EQ(item.count("tags"), 0u);
  Item before = item;
  EXPECT_EQ(Apply(env, "DELETE nums :ss", &item), kWrongType);
  EXPECT_EQ(Apply(env, "DELETE n :ns", &item), kWrongType);
  EXPECT_EQ(item, before);
}

// The nested case DynamoDB's behaviour was recorded with (dynalite's updateItem tests).
TEST(ApplyUpdateTest, MixedNestedUpdate) {
  Env env;
  env.Value(":a", N("2")).Value(":b", SS({"a"}));
  Item item{{"a", S("key")},
            {"b", M({{"a", N("1")}, {"b", N("2")}, {"c", N("3")}})},
            {"c", L({N("1"), N("3")})}};
  ASSERT_EQ(Apply(env,
                  "set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c "
                  "add c[8] :b, c[6] :a",
                  &item),
            "OK");
  EXPECT_EQ(item.at("b"), M({{"a", S("key")}, {"b", N("2")}, {"c", N("4")}}));
  EXPECT_EQ(item.at("c"), L({N("1"), S("key"), N("3"), N("-1"), N("2"), SS({"a"})}));
}

TEST(ApplyUpdateTest, EmptyItem) {
  Env env;
  env.Value(":v", S("v")).Value(":n", N("1"));
  Item item;
  EXPECT_EQ(Apply(env, "SET a = :v ADD n :n REMOVE gone", &item), "OK");
  EXPECT_EQ(item, (Item{{"a", S("v")}, {"n", N("1")}}));
}

}  // namespace
}  // namespace meridian::model::expr::test
