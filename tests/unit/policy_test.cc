// IAM policy evaluation: wildcards, Deny over Allow, default deny, NotAction/NotResource,
// policy variables and the condition operators DynamoDB's fine-grained access uses.
#include "security/policy.h"

#include <gtest/gtest.h>

namespace meridian::security {
namespace {

constexpr const char* kTable = "arn:aws:dynamodb:us-east-1:123456789012:table/Music";

std::shared_ptr<const Policy> Parse(const std::string& text) {
  auto p = Policy::Parse(text);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? *p : nullptr;
}

Decision Eval(const Policy& p, std::string_view action, std::string_view resource,
              const ConditionContext* ctx = nullptr, const PolicyVariables& vars = {}) {
  return p.Evaluate({action, resource, ctx}, vars);
}

TEST(Policy, SampleTablePolicyAllowsItsFourActionsOnly) {
  auto p = Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:Scan","dynamodb:UpdateItem"],
    "Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/Music"}]})");
  for (const char* a : {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan",
                        "dynamodb:UpdateItem", "DynamoDB:getitem"}) {
    EXPECT_EQ(Eval(*p, a, kTable), Decision::kAllow) << a;
  }
  EXPECT_EQ(Eval(*p, "dynamodb:DeleteItem", kTable), Decision::kImplicitDeny);
  EXPECT_EQ(Eval(*p, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/Other"),
            Decision::kImplicitDeny);
  EXPECT_EQ(Eval(*p, "dynamodb:Scan", std::string(kTable) + "/index/ByYear"),
            Decision::kImplicitDeny);
  EXPECT_EQ(Eval(*p, "dynamodb:ListTables", "*"), Decision::kImplicitDeny);
}

TEST(Policy, WildcardsAndExplicitDeny) {
  auto p = Parse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:*:123456789012:table/*"},
    {"Effect":"Deny","Action":["dynamodb:Delete*","dynamodb:?pdateItem"],
     "Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/Music*"}]})");
  EXPECT_EQ(Eval(*p, "dynamodb:Query", kTable), Decision::kAllow);
  EXPECT_EQ(Eval(*p, "dynamodb:DeleteItem", kTable), Decision::kExplicitDeny);
  EXPECT_EQ(Eval(*p, "dynamodb:DeleteTable", kTable), Decision::kExplicitDeny);
  EXPECT_EQ(Eval(*p, "dynamodb:UpdateItem", kTable), Decision::kExplicitDeny);
  EXPECT_EQ(Eval(*p, "dynamodb:DeleteItem", std::string(kTable) + "/index/x"),
            Decision::kExplicitDeny);
  EXPECT_EQ(Eval(*p, "dynamodb:DeleteItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/Books"),
            Decision::kAllow);
  EXPECT_EQ(Eval(*p, "s3:GetObject", kTable), Decision::kImplicitDeny);
}

TEST(Policy, NotActionAndNotResource) {
  auto p = Parse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","NotAction":"dynamodb:DeleteTable","NotResource":"arn:aws:dynamodb:*:*:table/Secret"}]})");
  EXPECT_EQ(Eval(*p, "dynamodb:PutItem", kTable), Decision::kAllow);
  EXPECT_EQ(Eval(*p, "dynamodb:DeleteTable", kTable), Decision::kImplicitDeny);
  EXPECT_EQ(Eval(*p, "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:1:table/Secret"),
            Decision::kImplicitDeny);
}

TEST(Policy, LeadingKeysWithPolicyVariables) {
  auto p = Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"arn:aws:dynamodb:*:*:table/Music",
    "Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:username}"]}}}]})");
  PolicyVariables alice{"alice", "AIDAALICE", "123456789012"};
  ConditionContext own;
  own.Add("dynamodb:LeadingKeys", "alice");
  ConditionContext other;
  other.Add("dynamodb:LeadingKeys", "bob");
  ConditionContext mixed = own;
  mixed.Add("dynamodb:LeadingKeys", "bob");
  EXPECT_EQ(Eval(*p, "dynamodb:GetItem", kTable, &own, alice), Decision::kAllow);
  EXPECT_EQ(Eval(*p, "dynamodb:GetItem", kTable, &other, alice), Decision::kImplicitDeny);
  EXPECT_EQ(Eval(*p, "dynamodb:GetItem", kTable, &mixed, alice), Decision::kImplicitDeny);
  // ForAllValues holds for an absent key (IAM's rule; pair it with Select, see below).
  ConditionContext none;
  EXPECT_EQ(Eval(*p, "dynamodb:Query", kTable, &none, alice), Decision::kAllow);
  // Version 2008-10-17 has no variables: "${aws:username}" is literal.
  auto old = Parse(R"({"Version":"2008-10-17","Statement":[{"Effect":"Allow",
    "Action":"dynamodb:GetItem","Resource":"*",
    "Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":"${aws:username}"}}}]})");
  EXPECT_EQ(Eval(*old, "dynamodb:GetItem", kTable, &own, alice), Decision::kImplicitDeny);
}

TEST(Policy, AttributesAndSelectForVerticalPartitioning) {
  auto p = Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"*",
    "Condition":{"ForAllValues:StringEquals":{"dynamodb:Attributes":["UserId","Score"]},
                 "StringEqualsIfExists":{"dynamodb:Select":"SPECIFIC_ATTRIBUTES"}}}]})");
  ConditionContext ok;
  ok.Add("dynamodb:Attributes", "Score");
  ok.Add("dynamodb:Select", "SPECIFIC_ATTRIBUTES");
  EXPECT_EQ(Eval(*p, "dynamodb:GetItem", kTable, &ok), Decision::kAllow);
  ConditionContext extra = ok;
  extra.Add("dynamodb:Attributes", "Password");
  EXPECT_EQ(Eval(*p, "dynamodb:GetItem", kTable, &extra), Decision::kImplicitDeny);
  ConditionContext all;
  all.Add("dynamodb:Select", "ALL_ATTRIBUTES");
  EXPECT_EQ(Eval(*p, "dynamodb:Query", kTable, &all), Decision::kImplicitDeny);
}

TEST(Policy, ForAnyValueStringLikeAndNegatedOperators) {
  auto any = Parse(R"({"Statement":{"Effect":"Allow","Action":"dynamodb:PutItem","Resource":"*",
    "Condition":{"ForAnyValue:StringLike":{"dynamodb:Attributes":"pub_*"}}}})");
  ConditionContext c;
  c.Add("dynamodb:Attributes", "secret");
  EXPECT_EQ(Eval(*any, "dynamodb:PutItem", kTable, &c), Decision::kImplicitDeny);
  c.Add("dynamodb:Attributes", "pub_name");
  EXPECT_EQ(Eval(*any, "dynamodb:PutItem", kTable, &c), Decision::kAllow);
  ConditionContext none;
  EXPECT_EQ(Eval(*any, "dynamodb:PutItem", kTable, &none), Decision::kImplicitDeny);

  auto deny = Parse(R"({"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
    {"Effect":"Deny","Action":"dynamodb:*","Resource":"*",
     "Condition":{"StringNotEquals":{"dynamodb:Select":["SPECIFIC_ATTRIBUTES","COUNT"]}}}]})");
  ConditionContext count;
  count.Add("dynamodb:Select", "COUNT");
  EXPECT_EQ(Eval(*deny, "dynamodb:Scan", kTable, &count), Decision::kAllow);
  ConditionContext all;
  all.Add("dynamodb:Select", "ALL_ATTRIBUTES");
  EXPECT_EQ(Eval(*deny, "dynamodb:Scan", kTable, &all), Decision::kExplicitDeny);
  // A negated operator holds for an absent key: the Deny applies.
  EXPECT_EQ(Eval(*deny, "dynamodb:PutItem", kTable, &none), Decision::kExplicitDeny);

  auto ci = Parse(R"({"Statement":{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*",
    "Condition":{"StringEqualsIgnoreCase":{"dynamodb:LeadingKeys":"ALICE"},
                 "Null":{"dynamodb:Attributes":"true"}}}})");
  ConditionContext lower;
  lower.Add("dynamodb:leadingkeys", "alice");
  EXPECT_EQ(Eval(*ci, "dynamodb:GetItem", kTable, &lower), Decision::kAllow);
  lower.Add("dynamodb:Attributes", "x");
  EXPECT_EQ(Eval(*ci, "dynamodb:GetItem", kTable, &lower), Decision::kImplicitDeny);
}

TEST(Policy, WildcardMatchRules) {
  EXPECT_TRUE(WildcardMatch("a*c", "abbbc", false));
  EXPECT_TRUE(WildcardMatch("a*", "a", false));
  EXPECT_TRUE(WildcardMatch("a?c", "abc", false));
  EXPECT_FALSE(WildcardMatch("a?c", "ac", false));
  EXPECT_FALSE(WildcardMatch("abc", "ABC", false));
  EXPECT_TRUE(WildcardMatch("abc", "ABC", true));
  EXPECT_TRUE(WildcardMatch("a\\*c", "a*c", false));
  EXPECT_FALSE(WildcardMatch("a\\*c", "abc", false));
  EXPECT_TRUE(WildcardMatch("*", "", false));
}

TEST(Policy, MalformedPoliciesAreRejectedWithAReason) {
  for (const char* bad : {
           "",
           "[]",
           "{\"Statement\":[]}x",
           R"({"Version":"2020-01-01","Statement":[]})",
           R"({"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]})",
           R"({"Statement":[{"Effect":"Allow","Resource":"*"}]})",
           R"({"Statement":[{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}]})",
           R"({"Statement":[{"Effect":"Allow","Action":"*"}]})",
           R"({"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]})",
           R"({"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}]})",
           R"({"Statement":[{"Effect":"Allow","Action":"*","Resource":"*",
               "Condition":{"NumericLessThan":{"k":"1"}}}]})",
           R"({"Statement":[{"Effect":"Allow","Action":"*","Resource":"*",
               "Condition":{"StringEquals":"x"}}]})",
       }) {
    EXPECT_FALSE(Policy::Parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace meridian::security
