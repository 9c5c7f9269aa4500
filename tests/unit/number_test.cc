#include "model/number.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace meridian::model {
namespace {

const char kNotNumeric[] = "The parameter cannot be converted to a numeric value";
const char kTooManyDigits[] = "Attempting to store more than 38 significant digits in a Number";
const char kOverflow[] =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
const char kUnderflow[] =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";

Number N(const std::string& text) {
  Result<Number> r = Number::Parse(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : Number();
}

std::string Zeros(int n) { return std::string(n, '0'); }

struct FormatCase {
  std::string in;
  std::string out;
};

TEST(NumberTest, ParseAndFormat) {
  const std::vector<FormatCase> cases = {
      {"0", "0"},
      {"-0", "0"},
      {"+0", "0"},
      {"0.000", "0"},
      {"-0.0e5", "0"},
      {"0e99999999999999999999", "0"},
      {"00012", "12"},
      {"+12", "12"},
      {"1E+2", "100"},
      {"1e2", "100"},
      {"1.50", "1.5"},
      {"-1.50", "-1.5"},
      {".5", "0.5"},
      {"-.5", "-0.5"},
      {"5.", "5"},
      {"0.001", "0.001"},
      {"-0.001", "-0.001"},
      {"123.456e1", "1234.56"},
      {"123.456E-5", "0.00123456"},
      {"12.3400e+2", "1234"},
      {"1000", "1000"},
      {"1E-130", "0." + Zeros(129) + "1"},
      {"0.1E-129", "0." + Zeros(129) + "1"},
      {"-1E-130", "-0." + Zeros(129) + "1"},
      {"9.9999999999999999999999999999999999999E+125", std::string(38, '9') + Zeros(88)},
      {"1E125", "1" + Zeros(125)},
      {"1" + Zeros(42), "1" + Zeros(42)},
      {"12345678901234567890123456789012345678", "12345678901234567890123456789012345678"},
      {"-1.2345678901234567890123456789012345678", "-1.2345678901234567890123456789012345678"},
      {"1.00000000000000000000000000000000000000000000", "1"},
      {Zeros(60) + "7", "7"},
      {"0.0000000000000000000000000000000000000000000000000000123", "0." + Zeros(52) + "123"},
  };
  for (const FormatCase& c : cases) {
    Result<Number> r = Number::Parse(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().ToString();
    EXPECT_EQ(r->ToString(), c.out) << c.in;
    // Canonical text round-trips to the identical value.
    Result<Number> again = Number::Parse(r->ToString());
    ASSERT_TRUE(again.ok()) << c.in;
    EXPECT_EQ(*again, *r) << c.in;
  }
}

TEST(NumberTest, NormalizedFields) {
  Number n = N("-12.3400e+2");
  EXPECT_TRUE(n.negative());
  EXPECT_EQ(n.digits(), "1234");
  EXPECT_EQ(n.exponent(), 0);
  n = N("1" + Zeros(42));
  EXPECT_EQ(n.digits(), "1");
  EXPECT_EQ(n.exponent(), 42);
  n = N("0.00120");
  EXPECT_EQ(n.digits(), "12");
  EXPECT_EQ(n.exponent(), -4);
  n = N("-0");
  EXPECT_TRUE(n.is_zero());
  EXPECT_FALSE(n.negative());
  EXPECT_EQ(n.exponent(), 0);
  EXPECT_EQ(n, Number());
}

struct ErrorCase {
  std::string in;
  const char* message;
};

TEST(NumberTest, ParseErrors) {
  const std::vector<ErrorCase> cases = {
      {"", kNotNumeric},
      {"abc", kNotNumeric},
      {"-", kNotNumeric},
      {"+", kNotNumeric},
      {".", kNotNumeric},
      {"-.", kNotNumeric},
      {"e5", kNotNumeric},
      {".e5", kNotNumeric},
      {"1e", kNotNumeric},
      {"1e+", kNotNumeric},
      {"1e+-2", kNotNumeric},
      {"1e1.5", kNotNumeric},
      {"1.2.3", kNotNumeric},
      {"--1", kNotNumeric},
      {"+-1", kNotNumeric},
      {" 1", kNotNumeric},
      {"1 ", kNotNumeric},
      {"NaN", kNotNumeric},
      {"Infinity", kNotNumeric},
      {"0x10", kNotNumeric},
      {"1,5", kNotNumeric},
      {"123456789012345678901234567890123456789", kTooManyDigits},
      {"1.23456789012345678901234567890123456789", kTooManyDigits},
      {"-0.000123456789012345678901234567890123456789", kTooManyDigits},
      {"1E126", kOverflow},
      {"10E125", kOverflow},
      {"-1E126", kOverflow},
      {"99999999999999999999999999999999999999E89", kOverflow},
      {"1e99999999999999999999", kOverflow},
      {"1E-131", kUnderflow},
      {"0.01E-129", kUnderflow},
      {"-9.9E-131", kUnderflow},
      {"1e-99999999999999999999", kUnderflow},
  };
  for (const ErrorCase& c : cases) {
    Result<Number> r = Number::Parse(c.in);
    ASSERT_FALSE(r.ok()) << "'" << c.in << "' parsed as " << r->ToString();
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << c.in;
    EXPECT_EQ(r.status().message(), c.message) << c.in;
  }
}

TEST(NumberTest, OrderingFollowsParsedValue) {
  // Strictly increasing; each row also lists other spellings of the same value.
  const std::vector<std::vector<std::string>> ascending = {
      {"-9.9999999999999999999999999999999999999E+125"},
      {"-1E125"},
      {"-1000", "-1E3", "-1000.000"},
      {"-999.99"},
      {"-12"},
      {"-1.5", "-15E-1", "-1.50"},
      {"-1", "-1.0", "-10E-1"},
      {"-0.1"},
      {"-1E-130"},
      {"0", "-0", "0.0", "0E10"},
      {"1E-130", "0.1E-129"},
      {"1.1E-130"},
      {"0.0011"},
      {"0.1", ".1", "1E-1"},
      {"0.12"},
      {"1", "1.0", "10E-1", "+1"},
      {"1.0000000000000000000000000000000000001"},
      {"1.5"},
      {"9.99"},
      {"10"},
      {"12"},
      {"100", "1E2", "1E+2"},
      {"1E125"},
      {"9.9999999999999999999999999999999999999E+125"},
  };
  for (size_t i = 0; i < ascending.size(); ++i) {
    for (size_t j = 0; j < ascending.size(); ++j) {
      for (const std::string& a : ascending[i]) {
        for (const std::string& b : ascending[j]) {
          EXPECT_EQ(N(a) <=> N(b), i <=> j) << a << " vs " << b;
          EXPECT_EQ(N(a) == N(b), i == j) << a << " vs " << b;
        }
      }
    }
  }
}

struct ArithmeticCase {
  std::string a;
  std::string b;
  std::string sum;
  std::string difference;  // a - b
};

TEST(NumberTest, AddAndSubtract) {
  const std::string kMax38 = std::string(38, '9');
  const std::vector<ArithmeticCase> cases = {
      {"1", "2", "3", "-1"},
      {"0", "0", "0", "0"},
      {"0", "-7", "-7", "7"},
      {"-7", "0", "-7", "-7"},
      {"9.99", "0.01", "10", "9.98"},
      {"999", "1", "1000", "998"},
      {"0.1", "0.2", "0.3", "-0.1"},
      {"100", "0.001", "100.001", "99.999"},
      {"-5", "3", "-2", "-8"},
      {"3", "-5", "-2", "8"},
      {"-3", "5", "2", "-8"},
      {"5", "-5", "0", "10"},
      {"1.5", "1.5", "3", "0"},
      {"-1.5", "-1.5", "-3", "0"},
      {"1000", "1", "1001", "999"},
      {"1E-130", "1E-130", "0." + Zeros(129) + "2", "0"},
      {kMax38, "1", "1" + Zeros(38), std::string(37, '9') + "8"},
      {"1" + Zeros(37), "1", "1" + Zeros(36) + "1", std::string(37, '9')},
      {"0.5", "0.5", "1", "0"},
      {"-0.05", "0.95", "0.9", "-1"},
      {"1E100", "-1E100", "0", "2" + Zeros(100)},
  };
  for (const ArithmeticCase& c : cases) {
    Result<Number> sum = N(c.a).Add(N(c.b));
    ASSERT_TRUE(sum.ok()) << c.a << " + " << c.b << ": " << sum.status().ToString();
    EXPECT_EQ(sum->ToString(), c.sum) << c.a << " + " << c.b;
    Result<Number> diff = N(c.a).Subtract(N(c.b));
    ASSERT_TRUE(diff.ok()) << c.a << " - " << c.b << ": " << diff.status().ToString();
    EXPECT_EQ(diff->ToString(), c.difference) << c.a << " - " << c.b;
    // Cancellation must give the one canonical zero, not a "negative zero".
    if (c.sum == "0") {
      EXPECT_EQ(*sum, Number());
    }
    if (c.difference == "0") {
      EXPECT_EQ(*diff, Number());
    }
  }
}

TEST(NumberTest, ArithmeticLimits) {
  struct Case {
    std::string a, b;
    bool subtract;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"12345678901234567890123456789012345678", "0.1", false, kTooManyDigits},
      {"1E125", "1E-130", false, kTooManyDigits},
      {"1", "1E-40", true, kTooManyDigits},
      {"9.9999999999999999999999999999999999999E+125", "1E88", false, kOverflow},
      {"-9.9999999999999999999999999999999999999E+125", "1E88", true, kOverflow},
      {"9E125", "9E125", false, kOverflow},
      {"2E-130", "1.5E-130", true, kUnderflow},
      {"-2E-130", "1.5E-130", false, kUnderflow},
  };
  for (const Case& c : cases) {
    Result<Number> r = c.subtract ? N(c.a).Subtract(N(c.b)) : N(c.a).Add(N(c.b));
    ASSERT_FALSE(r.ok()) << c.a << (c.subtract ? " - " : " + ") << c.b << " = " << r->ToString();
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), c.message) << c.a << (c.subtract ? " - " : " + ") << c.b;
  }
}

TEST(NumberTest, Negated) {
  EXPECT_EQ(N("1.5").Negated().ToString(), "-1.5");
  EXPECT_EQ(N("-1.5").Negated().ToString(), "1.5");
  EXPECT_EQ(N("0").Negated(), Number());
  EXPECT_FALSE(N("0").Negated().negative());
}

// Formats value x 10^-scale canonically, independently of Number.
std::string FormatScaled(int64_t value, int scale) {
  if (value == 0) return "0";
  std::string sign = value < 0 ? "-" : "";
  std::string digits = std::to_string(value < 0 ? -value : value);
  if (static_cast<int>(digits.size()) <= scale) {
    digits = Zeros(scale - static_cast<int>(digits.size()) + 1) + digits;
  }
  std::string text = digits.substr(0, digits.size() - scale);
  std::string fraction = digits.substr(digits.size() - scale);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (!fraction.empty()) text += "." + fraction;
  return sign + text;
}

// Spells value x 10^-scale in one of several equivalent ways Parse must accept.
std::string Spell(int64_t value, int scale, std::mt19937_64& rng) {
  switch (rng() % 3) {
    case 0: return FormatScaled(value, scale);
    case 1: return std::to_string(value) + "E-" + std::to_string(scale);
    default: return std::to_string(value) + "0e" + std::to_string(-scale - 1);
  }
}

int64_t Pow10(int n) {
  int64_t p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

TEST(NumberTest, RandomAddMatchesIntegerArithmetic) {
  const uint64_t seed = 20240601;
  std::mt19937_64 rng(seed);
  // |values| < 1e12 and scales <= 6 keep every aligned sum inside int64.
  std::uniform_int_distribution<int64_t> value(-999'999'999'999, 999'999'999'999);
  std::uniform_int_distribution<int> scale(0, 6);
  for (int i = 0; i < 20000; ++i) {
    int64_t a = value(rng), b = value(rng);
    if (rng() % 8 == 0) b = -a;  // exercise exact cancellation
    if (rng() % 8 == 0) a /= 1000;
    int sa = scale(rng), sb = scale(rng);
    int s = std::max(sa, sb);
    int64_t aligned_a = a * Pow10(s - sa), aligned_b = b * Pow10(s - sb);
    std::string ta = Spell(a, sa, rng), tb = Spell(b, sb, rng);
    SCOPED_TRACE("seed=" + std::to_string(seed) + " i=" + std::to_string(i) + " a=" + ta +
                 " b=" + tb);
    Number na = N(ta), nb = N(tb);
    ASSERT_EQ(na.ToString(), FormatScaled(a, sa));

    Result<Number> sum = na.Add(nb);
    ASSERT_TRUE(sum.ok()) << sum.status().ToString();
    EXPECT_EQ(sum->ToString(), FormatScaled(aligned_a + aligned_b, s));
    Result<Number> diff = na.Subtract(nb);
    ASSERT_TRUE(diff.ok()) << diff.status().ToString();
    EXPECT_EQ(diff->ToString(), FormatScaled(aligned_a - aligned_b, s));
    EXPECT_EQ(na <=> nb, aligned_a <=> aligned_b);
  }
}

}  // namespace
}  // namespace meridian::model
