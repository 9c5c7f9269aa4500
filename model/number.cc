#include "model/number.h"

#include <algorithm>
#include <cstdint>

namespace meridian::model {
namespace {

constexpr char kNotNumeric[] = "The parameter cannot be converted to a numeric value";
constexpr char kTooManyDigits[] = "Attempting to store more than 38 significant digits in a Number";
constexpr char kOverflow[] =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
constexpr char kUnderflow[] =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";

// Scientific exponent bounds: |value| = d.ddd x 10^sci with sci in this range.
constexpr int64_t kMinSciExponent = -130;
constexpr int64_t kMaxSciExponent = 125;
// Text exponents are clamped while parsing so "1e999999999999999999" cannot overflow int64
// yet still lands far outside the supported range.
constexpr int64_t kExponentClamp = int64_t{1} << 40;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A magnitude digits x 10^exponent with no leading or trailing zeros (empty = zero).
struct Magnitude {
  std::string digits;
  int exponent = 0;
};

// Strips zeros from raw digits and checks DynamoDB's limits. Parse and Add both funnel
// through here, so every Number that exists satisfies the invariants in the header.
Result<Magnitude> Normalize(std::string_view raw, int64_t exponent) {
  size_t first = raw.find_first_not_of('0');
  if (first == std::string_view::npos) return Magnitude{};
  size_t last = raw.find_last_not_of('0');
  exponent += static_cast<int64_t>(raw.size() - 1 - last);
  std::string_view digits = raw.substr(first, last - first + 1);
  if (digits.size() > static_cast<size_t>(Number::kMaxDigits)) {
    return Status::InvalidArgument(kTooManyDigits);
  }
  int64_t sci = exponent + static_cast<int64_t>(digits.size()) - 1;
  if (sci > kMaxSciExponent) return Status::InvalidArgument(kOverflow);
  if (sci < kMinSciExponent) return Status::InvalidArgument(kUnderflow);
  return Magnitude{std::string(digits), static_cast<int>(exponent)};
}

// Orders magnitudes. Normalized digits have no trailing zeros, so once the leading digit
// positions agree, plain lexicographic order of the digit strings is numeric order.
std::strong_ordering CompareMagnitude(const std::string& a_digits, int a_exp,
                                      const std::string& b_digits, int b_exp) {
  if (a_digits.empty() || b_digits.empty()) return !a_digits.empty() <=> !b_digits.empty();
  int64_t a_sci = int64_t{a_exp} + static_cast<int64_t>(a_digits.size());
  int64_t b_sci = int64_t{b_exp} + static_cast<int64_t>(b_digits.size());
  if (a_sci != b_sci) return a_sci <=> b_sci;
  int c = a_digits.compare(b_digits);
  return c <=> 0;
}

// Digits of `digits x 10^exponent` rescaled to exponent `to` (REQUIRES: to <= exponent),
// right-aligned in a buffer of `width` characters padded with leading zeros.
std::string Aligned(const std::string& digits, int exponent, int to, size_t width) {
  std::string out(width, '0');
  std::copy(digits.begin(), digits.end(), out.end() - (exponent - to) - digits.size());
  return out;
}

}  // namespace

Result<Number> Number::Parse(std::string_view text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';

  std::string raw;
  int64_t mantissa_digits = 0;
  int64_t fraction_digits = 0;
  bool seen_point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (IsDigit(c)) {
      // Leading zeros carry no information; dropping them keeps `raw` small for "000..1".
      if (!(raw.empty() && c == '0')) raw.push_back(c);
      ++mantissa_digits;
      if (seen_point) ++fraction_digits;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (mantissa_digits == 0) return Status::InvalidArgument(kNotNumeric);

  int64_t exponent = 0;
  if (i < text.size()) {
    if (text[i] != 'e' && text[i] != 'E') return Status::InvalidArgument(kNotNumeric);
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) exp_negative = text[i++] == '-';
    if (i == text.size()) return Status::InvalidArgument(kNotNumeric);
    for (; i < text.size(); ++i) {
      if (!IsDigit(text[i])) return Status::InvalidArgument(kNotNumeric);
      exponent = std::min(exponent * 10 + (text[i] - '0'), kExponentClamp);
    }
    if (exp_negative) exponent = -exponent;
  }

  Result<Magnitude> m = Normalize(raw, exponent - fraction_digits);
  if (!m.ok()) return m.status();
  Number n;
  n.digits_ = std::move(m->digits);
  n.exponent_ = m->exponent;
  n.negative_ = negative && !n.digits_.empty();
  return n;
}

std::string Number::ToString() const {
  if (is_zero()) return "0";
  std::string out = negative_ ? "-" : "";
  const int n = static_cast<int>(digits_.size());
  if (exponent_ >= 0) {
    out += digits_;
    out.append(exponent_, '0');
    return out;
  }
  const int integer_digits = n + exponent_;
  if (integer_digits > 0) {
    out.append(digits_, 0, integer_digits);
    out += '.';
    out.append(digits_, integer_digits);
  } else {
    out += "0.";
    out.append(-integer_digits, '0');
    out += digits_;
  }
  return out;
}

Result<Number> Number::Add(const Number& other) const {
  if (other.is_zero()) return *this;
  if (is_zero()) return other;

  // Work on |big| and |small| so subtraction never borrows past the top digit.
  const bool this_bigger =
      CompareMagnitude(digits_, exponent_, other.digits_, other.exponent_) >= 0;
  const Number& big = this_bigger ? *this : other;
  const Number& small = this_bigger ? other : *this;

  // Common exponent and a width with one spare digit for a carry. Normalized operands span
  // at most ~256 decimal places (1E125 + 1E-130), so the buffers stay small.
  const int low = std::min(big.exponent_, small.exponent_);
  const int top = std::max(big.exponent_ + static_cast<int>(big.digits_.size()),
                           small.exponent_ + static_cast<int>(small.digits_.size()));
  const size_t width = static_cast<size_t>(top - low) + 1;
  std::string a = Aligned(big.digits_, big.exponent_, low, width);
  const std::string b = Aligned(small.digits_, small.exponent_, low, width);

  const bool same_sign = big.negative_ == small.negative_;
  int carry = 0;
  for (size_t k = width; k-- > 0;) {
    int d = (a[k] - '0') + (same_sign ? (b[k] - '0') : -(b[k] - '0')) + carry;
    carry = d >= 10 ? 1 : (d < 0 ? -1 : 0);
    a[k] = static_cast<char>('0' + d - 10 * carry);
  }

  Result<Magnitude> m = Normalize(a, low);
  if (!m.ok()) return m.status();
  Number result;
  result.digits_ = std::move(m->digits);
  result.exponent_ = m->exponent;
  result.negative_ = big.negative_ && !result.digits_.empty();
  return result;
}

Result<Number> Number::Subtract(const Number& other) const { return Add(other.Negated()); }

Number Number::Negated() const {
  Number n = *this;
  n.negative_ = !negative_ && !is_zero();
  return n;
}

std::strong_ordering Number::operator<=>(const Number& other) const {
  auto sign = [](const Number& x) { return x.is_zero() ? 0 : (x.negative_ ? -1 : 1); };
  if (sign(*this) != sign(other)) return sign(*this) <=> sign(other);
  std::strong_ordering by_magnitude =
      CompareMagnitude(digits_, exponent_, other.digits_, other.exponent_);
  return negative_ ? 0 <=> by_magnitude : by_magnitude;
}

}  // namespace meridian::model
