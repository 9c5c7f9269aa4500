// DynamoDB's AttributeValue and Item, held in memory in canonical form:
//  - sets (SS, NS, BS) are sorted and duplicate-free (SS/BS by unsigned bytes, NS by value),
//  - maps are ordered by attribute name,
// so two equal values compare equal field by field and encode to identical bytes.
#pragma once

#include <boost/container/flat_map.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "model/number.h"

namespace meridian::model {

enum class AttrType : uint8_t { kS, kN, kB, kBool, kNull, kM, kL, kSS, kNS, kBS };

// The DynamoDB type descriptor: "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS".
const char* TypeName(AttrType type);

class AttributeValue {
 public:
  // A sorted vector: an item is one allocation (and its long strings), cheap to copy, search
  // and free, where a node per attribute made each of those a cache miss per attribute.
  using Map = boost::container::flat_map<std::string, AttributeValue, std::less<>>;
  using List = std::vector<AttributeValue>;

  // NULL value.
  AttributeValue() = default;

  static AttributeValue S(std::string s);
  static AttributeValue N(Number n);
  static AttributeValue B(std::string bytes);
  static AttributeValue Bool(bool b);
  static AttributeValue Null();
  static AttributeValue M(Map m);
  static AttributeValue L(List l);
  // Set factories sort and de-duplicate their input.
  static AttributeValue SS(std::vector<std::string> v);
  static AttributeValue NS(std::vector<Number> v);
  static AttributeValue BS(std::vector<std::string> v);

  AttrType type() const { return type_; }

  // REQUIRES: the accessor matches type() (another type reads as an empty value).
  const std::string& s() const { return Get<std::string>(); }                             // kS
  const std::string& b() const { return Get<std::string>(); }                             // kB
  const Number& n() const { return Get<Number>(); }                                       // kN
  bool boolean() const { return type_ == AttrType::kBool && std::get<bool>(value_); }     // kBool
  const Map& m() const { return Get<Map>(); }                                             // kM
  Map& mutable_m() { return std::get<Map>(value_); }                                      // kM
  const List& l() const { return Get<List>(); }                                           // kL
  List& mutable_l() { return std::get<List>(value_); }                                    // kL
  const std::vector<std::string>& ss() const { return Get<std::vector<std::string>>(); }  // kSS
  const std::vector<std::string>& bs() const { return Get<std::vector<std::string>>(); }  // kBS
  const std::vector<Number>& ns() const { return Get<std::vector<Number>>(); }            // kNS

  // True for S, N, B: the types a key attribute may have.
  bool is_scalar_key_type() const {
    return type_ == AttrType::kS || type_ == AttrType::kN || type_ == AttrType::kB;
  }
  bool is_set() const {
    return type_ == AttrType::kSS || type_ == AttrType::kNS || type_ == AttrType::kBS;
  }
  // Number of elements of a set (0 for non-sets).
  size_t set_size() const { return type_ == AttrType::kNS ? ns().size() : ss().size(); }

  // DynamoDB's size in bytes of this value (as used for the 400 KB item limit and
  // capacity units): strings and binaries by length, numbers by significant digits, etc.
  size_t ByteSize() const;

  // Deep equality (NS compared by value).
  bool operator==(const AttributeValue& other) const;

 private:
  // One alternative per representation (S and B share the string, SS and BS the vector):
  // 64 bytes a value, where one member per type took 208, and copies touch only what is
  // there.
  using Storage = std::variant<std::monostate, bool, std::string, Number, Map, List,
                               std::vector<std::string>, std::vector<Number>>;

  template <class T>
  const T& Get() const {
    if (const T* p = std::get_if<T>(&value_)) return *p;
    static const T kEmpty{};
    return kEmpty;
  }

  AttrType type_ = AttrType::kNull;
  Storage value_;
};

// An item: attribute name -> value.
using Item = AttributeValue::Map;

// A map (an item or an M value) from members in any order, in O(n log n): inserting them one by
// one into the sorted array moves O(n) members for each that arrives out of order (seconds for
// a 400 KB item of small attributes in reverse order). Of members with equal names the first
// is kept, as repeated emplace() keeps it.
AttributeValue::Map MapFromMembers(AttributeValue::Map::sequence_type members);

// DynamoDB's item size: sum over attributes of name length + value size.
size_t ItemByteSize(const Item& item);

}  // namespace meridian::model
