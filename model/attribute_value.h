// DynamoDB's AttributeValue and Item, held in memory in canonical form:
//  - sets (SS, NS, BS) are sorted and duplicate-free (SS/BS by unsigned bytes, NS by value),
//  - maps are ordered by attribute name,
// so two equal values compare equal field by field and encode to identical bytes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/number.h"

namespace meridian::model {

enum class AttrType : uint8_t { kS, kN, kB, kBool, kNull, kM, kL, kSS, kNS, kBS };

// The DynamoDB type descriptor: "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS".
const char* TypeName(AttrType type);

class AttributeValue {
 public:
  using Map = std::map<std::string, AttributeValue, std::less<>>;
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

  // REQUIRES: the accessor matches type().
  const std::string& s() const { return bytes_; }                  // kS
  const std::string& b() const { return bytes_; }                  // kB
  const Number& n() const { return number_; }                      // kN
  bool boolean() const { return bool_; }                           // kBool
  const Map& m() const { return map_; }                            // kM
  Map& mutable_m() { return map_; }                                // kM
  const List& l() const { return list_; }                          // kL
  List& mutable_l() { return list_; }                              // kL
  const std::vector<std::string>& ss() const { return strings_; }  // kSS
  const std::vector<std::string>& bs() const { return strings_; }  // kBS
  const std::vector<Number>& ns() const { return numbers_; }       // kNS

  // True for S, N, B: the types a key attribute may have.
  bool is_scalar_key_type() const {
    return type_ == AttrType::kS || type_ == AttrType::kN || type_ == AttrType::kB;
  }
  bool is_set() const {
    return type_ == AttrType::kSS || type_ == AttrType::kNS || type_ == AttrType::kBS;
  }
  // Number of elements of a set (0 for non-sets).
  size_t set_size() const { return type_ == AttrType::kNS ? numbers_.size() : strings_.size(); }

  // DynamoDB's size in bytes of this value (as used for the 400 KB item limit and
  // capacity units): strings and binaries by length, numbers by significant digits, etc.
  size_t ByteSize() const;

  // Deep equality (NS compared by value).
  bool operator==(const AttributeValue& other) const;

 private:
  AttrType type_ = AttrType::kNull;
  bool bool_ = false;
  std::string bytes_;                 // S, B
  Number number_;                     // N
  std::vector<std::string> strings_;  // SS, BS
  std::vector<Number> numbers_;       // NS
  Map map_;                           // M
  List list_;                         // L
};

// An item: attribute name -> value.
using Item = AttributeValue::Map;

// DynamoDB's item size: sum over attributes of name length + value size.
size_t ItemByteSize(const Item& item);

}  // namespace meridian::model
