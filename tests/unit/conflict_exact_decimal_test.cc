#include "conflict/exact_decimal.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "conflict_test_util.h"

namespace meridian::conflict::testing {
namespace {

ExactDecimal D(const std::string& text) { return ExactDecimal::FromNumber(Num(text)); }

TEST(ExactDecimal, AddsAndSubtractsExactly) {
  EXPECT_EQ(D("0.1").Plus(D("0.2")).ToString(), "3E-1");
  EXPECT_EQ(D("0.1").Plus(D("0.2")).ToNumberSaturating(), Num("0.3"));
  EXPECT_EQ(D("5").Minus(D("5")).ToString(), "0");
  EXPECT_TRUE(D("5").Minus(D("5")).is_zero());
  EXPECT_EQ(D("-2.5").Plus(D("1")).ToString(), "-15E-1");
  EXPECT_EQ(D("999").Plus(D("1")).ToString(), "1E3");
  EXPECT_EQ(D("1000").Minus(D("1")).ToString(), "999");
  EXPECT_EQ(D("1E-130").Minus(D("1E125")).Negated().Plus(D("0")).ToNumberSaturating(nullptr),
            Num("99999999999999999999999999999999999999E87"));  // truncated to 38 digits
}

TEST(ExactDecimal, GoesBeyondDynamoDbLimitsWithoutLoss) {
  const ExactDecimal big = D("9E125").Plus(D("9E125"));  // 1.8E126: no Number can hold it
  EXPECT_EQ(big.ToString(), "18E125");
  EXPECT_EQ(big.Minus(D("9E125")).ToNumberSaturating(), Num("9E125"));
  const ExactDecimal wide = D("1E30").Plus(D("0.001"));  // 34 digits... and more:
  const ExactDecimal wider = wide.Plus(D("1E-20"));      // 51 significant digits
  EXPECT_EQ(wider.Minus(D("1E30")).Minus(D("0.001")).ToNumberSaturating(), Num("1E-20"));
}

TEST(ExactDecimal, SaturatesToTheNearestDynamoDbNumber) {
  bool exact = true;
  EXPECT_EQ(D("9E125").Plus(D("9E125")).ToNumberSaturating(&exact),
            Num("9.9999999999999999999999999999999999999E125"));
  EXPECT_FALSE(exact);
  EXPECT_EQ(D("-9E125").Plus(D("-9E125")).ToNumberSaturating(&exact),
            Num("-9.9999999999999999999999999999999999999E125"));
  EXPECT_EQ(D("1E30").Plus(D("0.000000001")).ToNumberSaturating(&exact),
            Num("1000000000000000000000000000000.0000000"));  // 39 digits -> truncated
  EXPECT_FALSE(exact);
  EXPECT_EQ(D("-1E30").Minus(D("0.000000001")).ToNumberSaturating(&exact), Num("-1E30"));
  EXPECT_EQ(D("1.5E-130").Minus(D("1.4E-130")).ToNumberSaturating(&exact), Num("0"));
  EXPECT_FALSE(exact);
  EXPECT_EQ(D("12.5").ToNumberSaturating(&exact), Num("12.5"));
  EXPECT_TRUE(exact);
}

TEST(ExactDecimal, ParseAcceptsOnlyCanonicalText) {
  for (const char* ok : {"0", "15", "-25E-1", "3E2", "1E-100000"}) {
    Result<ExactDecimal> d = ExactDecimal::Parse(ok);
    ASSERT_TRUE(d.ok()) << ok;
    EXPECT_EQ(d->ToString(), ok);
  }
  for (const char* bad : {"", "-", "-0", "00", "10", "012", "1.5", "1E", "1E0", "1E01", "1E+2",
                          "1e2", "1E-", "1E200000", "+1", "1 "}) {
    EXPECT_EQ(ExactDecimal::Parse(bad).status().code(), Status::Code::kCorruption) << bad;
  }
}

rc::Gen<Number> GenNumber() {
  return rc::gen::map(
      rc::gen::tuple(rc::gen::inRange<int64_t>(-999999999, 1000000000), rc::gen::inRange(-40, 40)),
      [](const std::tuple<int64_t, int>& t) {
        Result<Number> n =
            Number::Parse(std::to_string(std::get<0>(t)) + "E" + std::to_string(std::get<1>(t)));
        return n.ok() ? *n : Number();
      });
}

// Wherever model::Number can add exactly, ExactDecimal agrees with it; and (a + b) - b == a.
RC_GTEST_PROP(ExactDecimalProperty, AgreesWithNumberAndRoundTrips, ()) {
  const Number a = *GenNumber();
  const Number b = *GenNumber();
  const ExactDecimal sum = ExactDecimal::FromNumber(a).Plus(ExactDecimal::FromNumber(b));
  Result<Number> expected = a.Add(b);
  bool exact = false;
  const Number got = sum.ToNumberSaturating(&exact);
  if (expected.ok()) {
    RC_ASSERT(exact);
    RC_ASSERT(got == *expected);
  } else {
    RC_ASSERT(!exact);
  }
  RC_ASSERT(sum.Minus(ExactDecimal::FromNumber(b)) == ExactDecimal::FromNumber(a));
  Result<ExactDecimal> parsed = ExactDecimal::Parse(sum.ToString());
  RC_ASSERT(parsed.ok());
  RC_ASSERT(*parsed == sum);
}

}  // namespace
}  // namespace meridian::conflict::testing
