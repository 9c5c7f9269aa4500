#include "conflict/exact_decimal.h"

#include <algorithm>
#include <utility>

namespace meridian::conflict {
namespace {

constexpr int64_t kMaxSciExponent = 125;   // DynamoDB's largest magnitude is < 1E+126
constexpr int64_t kMinSciExponent = -130;  // and its smallest nonzero one is 1E-130
// Exponents a valid Number and any sum of them can reach stay far inside this bound; the
// parser rejects anything beyond it so arithmetic never allocates absurd buffers.
constexpr int64_t kMaxAbsExponent = 100000;

// |a| vs |b| for normalized digit strings.
int CompareMagnitude(const std::string& a, int64_t a_exp, const std::string& b, int64_t b_exp) {
  if (a.empty() || b.empty()) return static_cast<int>(!a.empty()) - static_cast<int>(!b.empty());
  const int64_t a_top = a_exp + static_cast<int64_t>(a.size());
  const int64_t b_top = b_exp + static_cast<int64_t>(b.size());
  if (a_top != b_top) return a_top < b_top ? -1 : 1;
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

ExactDecimal ExactDecimal::FromNumber(const model::Number& n) {
  ExactDecimal d;
  d.negative_ = n.negative();
  d.digits_ = n.digits();
  d.exponent_ = n.exponent();
  return d;
}

ExactDecimal ExactDecimal::Negated() const {
  ExactDecimal d = *this;
  d.negative_ = !negative_ && !is_zero();
  return d;
}

ExactDecimal ExactDecimal::Minus(const ExactDecimal& other) const { return Plus(other.Negated()); }

ExactDecimal ExactDecimal::Plus(const ExactDecimal& other) const {
  if (other.is_zero()) return *this;
  if (is_zero()) return other;
  const bool this_bigger =
      CompareMagnitude(digits_, exponent_, other.digits_, other.exponent_) >= 0;
  const ExactDecimal& big = this_bigger ? *this : other;
  const ExactDecimal& small = this_bigger ? other : *this;

  // Both magnitudes right-aligned at the lower exponent, with one spare digit for a carry.
  const int64_t low = std::min(big.exponent_, small.exponent_);
  const int64_t top = big.exponent_ + static_cast<int64_t>(big.digits_.size());
  const size_t width = static_cast<size_t>(top - low) + 1;
  std::string acc(width, '0');
  std::copy(big.digits_.begin(), big.digits_.end(),
            acc.end() - (big.exponent_ - low) - static_cast<int64_t>(big.digits_.size()));
  const bool same_sign = big.negative_ == small.negative_;
  // Walk the smaller operand's digits from its least significant one; |small| <= |big| so
  // a subtraction never borrows past the top digit.
  int carry = 0;
  size_t k = width - 1 - static_cast<size_t>(small.exponent_ - low);
  for (size_t s = small.digits_.size(); s-- > 0; --k) {
    const int b = small.digits_[s] - '0';
    int d = (acc[k] - '0') + (same_sign ? b : -b) + carry;
    carry = d >= 10 ? 1 : (d < 0 ? -1 : 0);
    acc[k] = static_cast<char>('0' + d - 10 * carry);
  }
  for (; carry != 0; --k) {
    int d = (acc[k] - '0') + carry;
    carry = d >= 10 ? 1 : (d < 0 ? -1 : 0);
    acc[k] = static_cast<char>('0' + d - 10 * carry);
  }

  ExactDecimal out;
  const size_t first = acc.find_first_not_of('0');
  if (first == std::string::npos) return out;  // exact cancellation
  const size_t last = acc.find_last_not_of('0');
  out.digits_ = acc.substr(first, last - first + 1);
  out.exponent_ = low + static_cast<int64_t>(width - 1 - last);
  out.negative_ = big.negative_;
  return out;
}

model::Number ExactDecimal::ToNumberSaturating(bool* exact) const {
  if (exact != nullptr) *exact = true;
  if (is_zero()) return model::Number();
  const int64_t sci = exponent_ + static_cast<int64_t>(digits_.size()) - 1;
  std::string digits = digits_;
  int64_t exponent = exponent_;
  bool is_exact = true;
  if (sci > kMaxSciExponent) {
    digits.assign(model::Number::kMaxDigits, '9');
    exponent = kMaxSciExponent - (model::Number::kMaxDigits - 1);
    is_exact = false;
  } else if (sci < kMinSciExponent) {
    if (exact != nullptr) *exact = false;
    return model::Number();
  } else if (digits.size() > static_cast<size_t>(model::Number::kMaxDigits)) {
    exponent += static_cast<int64_t>(digits.size()) - model::Number::kMaxDigits;
    digits.resize(model::Number::kMaxDigits);
    is_exact = false;
  }
  if (exact != nullptr) *exact = is_exact;
  std::string text = negative_ ? "-" : "";
  text += digits;
  text += "E" + std::to_string(exponent);
  Result<model::Number> n = model::Number::Parse(text);
  // The digits and exponent were brought inside DynamoDB's limits above.
  return n.ok() ? *n : model::Number();
}

std::string ExactDecimal::ToString() const {
  if (is_zero()) return "0";
  std::string out = negative_ ? "-" : "";
  out += digits_;
  if (exponent_ != 0) out += "E" + std::to_string(exponent_);
  return out;
}

Result<ExactDecimal> ExactDecimal::Parse(std::string_view text) {
  if (text == "0") return ExactDecimal();
  ExactDecimal d;
  size_t i = 0;
  if (i < text.size() && text[i] == '-') {
    d.negative_ = true;
    ++i;
  }
  const size_t start = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  d.digits_ = std::string(text.substr(start, i - start));
  if (d.digits_.empty() || d.digits_.front() == '0' || d.digits_.back() == '0') {
    return Status::Corruption("counter total: not a canonical decimal");
  }
  if (i < text.size()) {
    if (text[i] != 'E' || i + 1 == text.size()) {
      return Status::Corruption("counter total: not a canonical decimal");
    }
    ++i;
    bool exp_negative = false;
    if (text[i] == '-') {
      exp_negative = true;
      ++i;
    }
    if (i == text.size() || text[i] == '0') {
      return Status::Corruption("counter total: not a canonical exponent");
    }
    int64_t exponent = 0;
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return Status::Corruption("counter total: bad exponent");
      exponent = exponent * 10 + (text[i] - '0');
      if (exponent > kMaxAbsExponent) return Status::Corruption("counter total: exponent range");
    }
    d.exponent_ = exp_negative ? -exponent : exponent;
  }
  if (d.digits_.size() > static_cast<size_t>(kMaxAbsExponent)) {
    return Status::Corruption("counter total: too many digits");
  }
  return d;
}

}  // namespace meridian::conflict
