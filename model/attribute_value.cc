#include "model/attribute_value.h"

#include <algorithm>
#include <utility>

namespace meridian::model {
namespace {

// std::string's comparison goes through char_traits<char>, which the standard defines to
// compare as unsigned char: exactly DynamoDB's byte order for SS and BS.
std::vector<std::string> SortedUnique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// DynamoDB documents "1 byte per two significant digits, plus 1 byte".
size_t NumberByteSize(const Number& n) { return (n.digits().size() + 1) / 2 + 1; }

// Each list or map pays 3 bytes, and each of its elements 1 more.
constexpr size_t kContainerOverhead = 3;
constexpr size_t kElementOverhead = 1;

}  // namespace

const char* TypeName(AttrType type) {
  switch (type) {
    case AttrType::kS: return "S";
    case AttrType::kN: return "N";
    case AttrType::kB: return "B";
    case AttrType::kBool: return "BOOL";
    case AttrType::kNull: return "NULL";
    case AttrType::kM: return "M";
    case AttrType::kL: return "L";
    case AttrType::kSS: return "SS";
    case AttrType::kNS: return "NS";
    case AttrType::kBS: return "BS";
  }
  return "?";
}

AttributeValue AttributeValue::S(std::string s) {
  AttributeValue v;
  v.type_ = AttrType::kS;
  v.value_ = std::move(s);
  return v;
}

AttributeValue AttributeValue::N(Number n) {
  AttributeValue v;
  v.type_ = AttrType::kN;
  v.value_ = std::move(n);
  return v;
}

AttributeValue AttributeValue::B(std::string bytes) {
  AttributeValue v;
  v.type_ = AttrType::kB;
  v.value_ = std::move(bytes);
  return v;
}

AttributeValue AttributeValue::Bool(bool b) {
  AttributeValue v;
  v.type_ = AttrType::kBool;
  v.value_ = b;
  return v;
}

AttributeValue AttributeValue::Null() { return AttributeValue(); }

AttributeValue AttributeValue::M(Map m) {
  AttributeValue v;
  v.type_ = AttrType::kM;
  v.value_ = std::move(m);
  return v;
}

AttributeValue AttributeValue::L(List l) {
  AttributeValue v;
  v.type_ = AttrType::kL;
  v.value_ = std::move(l);
  return v;
}

AttributeValue AttributeValue::SS(std::vector<std::string> s) {
  AttributeValue v;
  v.type_ = AttrType::kSS;
  v.value_ = SortedUnique(std::move(s));
  return v;
}

AttributeValue AttributeValue::NS(std::vector<Number> n) {
  AttributeValue v;
  v.type_ = AttrType::kNS;
  // Numbers are normalized, so equal values are equal field by field and unique() works.
  std::sort(n.begin(), n.end());
  n.erase(std::unique(n.begin(), n.end()), n.end());
  v.value_ = std::move(n);
  return v;
}

AttributeValue AttributeValue::BS(std::vector<std::string> b) {
  AttributeValue v;
  v.type_ = AttrType::kBS;
  v.value_ = SortedUnique(std::move(b));
  return v;
}

size_t AttributeValue::ByteSize() const {
  switch (type_) {
    case AttrType::kS:
    case AttrType::kB: return s().size();
    case AttrType::kN: return NumberByteSize(n());
    case AttrType::kBool:
    case AttrType::kNull: return 1;
    case AttrType::kM: {
      size_t size = kContainerOverhead;
      for (const auto& [name, value] : m())
        size += name.size() + value.ByteSize() + kElementOverhead;
      return size;
    }
    case AttrType::kL: {
      size_t size = kContainerOverhead;
      for (const AttributeValue& value : l()) size += value.ByteSize() + kElementOverhead;
      return size;
    }
    case AttrType::kSS:
    case AttrType::kBS: {
      size_t size = 0;
      for (const std::string& s : ss()) size += s.size();
      return size;
    }
    case AttrType::kNS: {
      size_t size = 0;
      for (const Number& n : ns()) size += NumberByteSize(n);
      return size;
    }
  }
  return 0;
}

bool AttributeValue::operator==(const AttributeValue& other) const {
  // Same type, same representation: the alternatives compare as the types do (NS by value,
  // since numbers are normalized).
  return type_ == other.type_ && value_ == other.value_;
}

AttributeValue::Map MapFromMembers(AttributeValue::Map::sequence_type members) {
  const auto by_name = [](const auto& a, const auto& b) { return a.first < b.first; };
  if (!std::is_sorted(members.begin(), members.end(), by_name)) {
    std::stable_sort(members.begin(), members.end(), by_name);
  }
  members.erase(std::unique(members.begin(), members.end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                members.end());
  AttributeValue::Map map;
  map.adopt_sequence(boost::container::ordered_unique_range, std::move(members));
  return map;
}

size_t ItemByteSize(const Item& item) {
  size_t size = 0;
  for (const auto& [name, value] : item) size += name.size() + value.ByteSize();
  return size;
}

}  // namespace meridian::model
