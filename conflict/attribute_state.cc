#include "conflict/attribute_state.h"

#include <algorithm>
#include <utility>

namespace meridian::conflict {
namespace {

using model::AttributeValue;
using model::AttrType;

AttrType SetTypeOf(AttrType member_type) {
  switch (member_type) {
    case AttrType::kN: return AttrType::kNS;
    case AttrType::kB: return AttrType::kBS;
    default: return AttrType::kSS;
  }
}

// Sum of live increments, or nullopt when no region has one.
std::optional<ExactDecimal> LiveIncrements(const AttributeState& s) {
  std::optional<ExactDecimal> sum;
  for (const CounterEntry& c : s.counters) {
    if (!c.live()) continue;
    sum = sum.value_or(ExactDecimal()).Plus(c.total.Minus(c.floor_total));
  }
  return sum;
}

bool HasLiveIncrement(const AttributeState& s) {
  return std::any_of(s.counters.begin(), s.counters.end(),
                     [](const CounterEntry& c) { return c.live(); });
}

bool HasMember(const AttributeState& s, AttrType member_type) {
  return std::any_of(s.elements.begin(), s.elements.end(),
                     [&](const SetElement& e) { return e.type == member_type; });
}

std::optional<AttributeValue> BuildSet(const AttributeState& s, AttrType set_type) {
  const AttrType member = MemberType(set_type);
  if (member == AttrType::kN) {
    std::vector<model::Number> numbers;
    for (const SetElement& e : s.elements) {
      if (e.type == member) numbers.push_back(e.number);
    }
    if (numbers.empty()) return std::nullopt;
    return AttributeValue::NS(std::move(numbers));
  }
  std::vector<std::string> strings;
  for (const SetElement& e : s.elements) {
    if (e.type == member) strings.push_back(e.bytes);
  }
  if (strings.empty()) return std::nullopt;
  return set_type == AttrType::kSS ? AttributeValue::SS(std::move(strings))
                                   : AttributeValue::BS(std::move(strings));
}

}  // namespace

AttrType MemberType(AttrType set_type) {
  switch (set_type) {
    case AttrType::kNS: return AttrType::kN;
    case AttrType::kBS: return AttrType::kB;
    default: return AttrType::kS;
  }
}

bool ElementLess(const SetElement& a, const SetElement& b) {
  if (a.type != b.type) return a.type < b.type;
  if (a.type == AttrType::kN) return a.number < b.number;
  return a.bytes < b.bytes;
}

const RegisterEntry* WinningRegister(const AttributeState& s) {
  const RegisterEntry* best = nullptr;
  for (const RegisterEntry& r : s.registers) {
    if (best == nullptr || std::tie(r.hlc, r.dot) > std::tie(best->hlc, best->dot)) best = &r;
  }
  return best;
}

std::optional<AttributeValue> MaterializeAttribute(const AttributeState& s) {
  if (const RegisterEntry* w = WinningRegister(s)) {
    if (w->value.is_set()) return BuildSet(s, w->value.type());
    if (w->value.type() == AttrType::kN) {
      std::optional<ExactDecimal> live = LiveIncrements(s);
      if (!live) return w->value;
      return AttributeValue::N(
          ExactDecimal::FromNumber(w->value.n()).Plus(*live).ToNumberSaturating());
    }
    return w->value;
  }
  if (std::optional<ExactDecimal> live = LiveIncrements(s)) {
    return AttributeValue::N(live->ToNumberSaturating());
  }
  // Elements are sorted by member type S, N, B: the first one picks SS, NS or BS.
  if (s.elements.empty()) return std::nullopt;
  return BuildSet(s, SetTypeOf(s.elements.front().type));
}

bool AttributePresent(const AttributeState& s) {
  if (const RegisterEntry* w = WinningRegister(s)) {
    return !w->value.is_set() || HasMember(s, MemberType(w->value.type()));
  }
  return HasLiveIncrement(s) || !s.elements.empty();
}

}  // namespace meridian::conflict
