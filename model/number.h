// Exact decimal numbers with DynamoDB's limits: up to 38 significant digits, magnitude
// between 1E-130 and 9.9999999999999999999999999999999999999E+125 (or zero). Never doubles.
//
// A Number is kept normalized: value = (negative ? -1 : 1) * digits * 10^exponent, where
// `digits` holds decimal digit characters without leading or trailing zeros. Zero has empty
// digits, exponent 0 and negative == false. Two equal values therefore have equal fields.
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "common/status.h"

namespace meridian::model {

class Number {
 public:
  static constexpr int kMaxDigits = 38;

  // Zero.
  Number() = default;

  // Parses DynamoDB's number syntax: optional sign, digits with optional '.', optional
  // exponent ("1e3", "-0.5", "+12", ".5", "5."). Leading/trailing zeros are not significant.
  // Errors (InvalidArgument, DynamoDB's wording):
  //   not a number       -> "The parameter cannot be converted to a numeric value"
  //   > 38 digits        -> "Attempting to store more than 38 significant digits in a Number"
  //   too large          -> "Number overflow. Attempting to store a number with magnitude
  //                          larger than supported range"
  //   too small, nonzero -> "Number underflow. Attempting to store a number with magnitude
  //                          smaller than supported range"
  static Result<Number> Parse(std::string_view text);

  // Canonical text as DynamoDB returns it: no exponent, no trailing zeros after the point,
  // "-" for negatives, "0" for zero (e.g. "1E+2" -> "100", "1.50" -> "1.5", "-0" -> "0").
  std::string ToString() const;

  // Exact arithmetic; the result is checked against the same limits as Parse (a result that
  // needs more than 38 significant digits is an InvalidArgument, never silently rounded).
  Result<Number> Add(const Number& other) const;
  Result<Number> Subtract(const Number& other) const;
  Number Negated() const;

  bool is_zero() const { return digits_.empty(); }
  bool negative() const { return negative_; }
  const std::string& digits() const { return digits_; }
  int exponent() const { return exponent_; }

  // Numeric order (so 1 == 1.0 == 10E-1).
  std::strong_ordering operator<=>(const Number& other) const;
  bool operator==(const Number& other) const = default;

 private:
  bool negative_ = false;
  std::string digits_;
  int exponent_ = 0;
};

}  // namespace meridian::model
