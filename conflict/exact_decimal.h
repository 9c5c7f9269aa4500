// An exact decimal without DynamoDB's 38-digit and exponent limits, for the PN-counter's
// running totals: a region's total of all its ADDs ever may outgrow model::Number (ADD
// 9E125, SET 0, ADD 9E125) while the value a user sees stays small. Only the visible value
// is converted back to a model::Number.
//
// Value = (negative ? -1 : 1) * digits * 10^exponent, digits without leading or trailing
// zeros; zero has empty digits, exponent 0, negative == false. Equal values have equal
// fields. Sums of valid Numbers stay within a few hundred digits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "model/number.h"

namespace meridian::conflict {

class ExactDecimal {
 public:
  // Zero.
  ExactDecimal() = default;
  static ExactDecimal FromNumber(const model::Number& n);

  ExactDecimal Plus(const ExactDecimal& other) const;
  ExactDecimal Minus(const ExactDecimal& other) const;
  ExactDecimal Negated() const;

  bool is_zero() const { return digits_.empty(); }

  // The nearest DynamoDB number: exact when the value fits (then *exact = true); otherwise
  // truncated toward zero to 38 significant digits, magnitudes above the maximum clamped to
  // +-9.9999999999999999999999999999999999999E+125 and below the minimum flushed to 0
  // (*exact = false). `exact` may be null.
  model::Number ToNumberSaturating(bool* exact = nullptr) const;

  // Canonical text: "0", or ["-"]digits["E"exponent] with the exponent omitted when 0
  // ("15", "-25E-1", "3E2"). Parse accepts exactly this form (Corruption otherwise), so
  // ToString/Parse round-trip byte for byte.
  std::string ToString() const;
  static Result<ExactDecimal> Parse(std::string_view text);

  bool operator==(const ExactDecimal&) const = default;

 private:
  bool negative_ = false;
  std::string digits_;
  int64_t exponent_ = 0;
};

}  // namespace meridian::conflict
