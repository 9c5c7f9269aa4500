#include "daemon/api/json_codec.h"

#include <boost/json.hpp>

#include <algorithm>
#include <iterator>

#include "common/base64.h"
#include "daemon/api/api_error.h"
#include "daemon/api/request.h"

namespace meridian::api {
namespace json = boost::json;
using model::AttributeValue;

namespace {

constexpr int kMaxNesting = 32;

const char* SetTypeWord(std::string_view type) {
  if (type == "SS") return "string";
  if (type == "NS") return "number";
  return "binary";
}

model::Number DecodeNumber(const json::value& v, bool in_set) {
  const json::string& text = ExpectString(v, "N");
  auto n = model::Number::Parse(std::string_view(text.data(), text.size()));
  if (!n.ok()) {
    std::string msg = n.status().message();
    if (in_set && msg == "The parameter cannot be converted to a numeric value") {
      msg += ": " + std::string(text.data(), text.size());
    }
    throw ApiError::Validation(msg);
  }
  return std::move(n).value();
}

std::string DecodeBinary(const json::value& v) {
  const json::string& text = ExpectString(v, "B");
  std::string out;
  if (!Base64Decode(std::string_view(text.data(), text.size()), &out)) {
    throw ApiError::Serialization(
        "Base64 encoded length is expected a multiple of 4 bytes but found: " +
        std::to_string(text.size()));
  }
  return out;
}

AttributeValue Decode(const json::value& json, int depth);

// An item or an M value whose values sit at `depth`: names checked, sorted once.
model::Item DecodeMembers(const json::object& members, int depth) {
  model::Item::sequence_type out;
  out.reserve(members.size());
  for (const auto& kv : members) {
    CheckAttributeName(kv.key());
    out.emplace_back(std::string(kv.key()), Decode(kv.value(), depth));
  }
  return model::MapFromMembers(std::move(out));
}

AttributeValue DecodeSet(std::string_view type, const json::value& v) {
  const json::array& arr = ExpectArray(v, type);
  if (arr.empty()) {
    throw ApiError::Validation(std::string("One or more parameter values were invalid: An ") +
                               SetTypeWord(type) + " set  may not be empty");
  }
  AttributeValue out;
  std::string listing;
  size_t count = arr.size();
  if (type == "SS") {
    std::vector<std::string> items;
    for (const auto& e : arr) {
      const json::string& s = ExpectString(e, "SS");
      items.emplace_back(s.data(), s.size());
    }
    out = AttributeValue::SS(items);
    for (auto& s : items) listing += (listing.empty() ? "" : ", ") + s;
  } else if (type == "NS") {
    std::vector<model::Number> items;
    for (const auto& e : arr) items.push_back(DecodeNumber(e, true));
    out = AttributeValue::NS(items);
    for (auto& n : items) listing += (listing.empty() ? "" : ", ") + n.ToString();
  } else {
    std::vector<std::string> items;
    for (const auto& e : arr) items.push_back(DecodeBinary(e));
    out = AttributeValue::BS(items);
    for (auto& b : items) listing += (listing.empty() ? "" : ", ") + Base64Encode(b);
  }
  if (out.set_size() != count) {
    throw ApiError::Validation("One or more parameter values were invalid: Input collection [" +
                               listing + "] contains duplicates.");
  }
  return out;
}

[[noreturn]] void ThrowTooDeep() {
  throw ApiError::Validation(
      "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels "
      "beyond supported limit");
}

AttributeValue Decode(const json::value& json, int depth) {
  if (depth > kMaxNesting) ThrowTooDeep();
  const json::object& obj = ExpectObject(json, "AttributeValue");
  static constexpr std::string_view kTypes[] = {"S", "N", "B",  "BOOL", "NULL",
                                                "M", "L", "SS", "NS",   "BS"};
  // One pass over the (usually single) members rather than a lookup per type name: ten
  // finds in a small object were most of the cost of decoding an attribute.
  const json::value* found = nullptr;
  std::string_view type;
  for (const auto& kv : obj) {
    const std::string_view key = kv.key();
    if (kv.value().is_null() ||
        std::find(std::begin(kTypes), std::end(kTypes), key) == std::end(kTypes)) {
      continue;  // JSON null is as good as absent; other names are ignored
    }
    if (found) {
      throw ApiError::Validation(
          "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
          "the supported datatypes");
    }
    found = &kv.value();
    type = key;
  }
  if (!found) {
    throw ApiError::Validation(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  }
  const json::value& v = *found;
  if (type == "S") {
    const json::string& s = ExpectString(v, "S");
    return AttributeValue::S(std::string(s.data(), s.size()));
  }
  if (type == "N") return AttributeValue::N(DecodeNumber(v, false));
  if (type == "B") return AttributeValue::B(DecodeBinary(v));
  if (type == "BOOL") return AttributeValue::Bool(ExpectBool(v, "BOOL"));
  if (type == "NULL") {
    if (!ExpectBool(v, "NULL")) {
      throw ApiError::Validation(
          "One or more parameter values were invalid: Null attribute value types must have the "
          "value of true");
    }
    return AttributeValue::Null();
  }
  // A document may wrap values in at most 31 maps or lists (DynamoDB's 32 levels).
  if ((type == "M" || type == "L") && depth >= kMaxNesting) ThrowTooDeep();
  if (type == "M") {
    return AttributeValue::M(DecodeMembers(ExpectObject(v, "M"), depth + 1));
  }
  if (type == "L") {
    AttributeValue::List list;
    const json::array& arr = ExpectArray(v, "L");
    list.reserve(arr.size());
    for (const auto& e : arr) list.push_back(Decode(e, depth + 1));
    return AttributeValue::L(std::move(list));
  }
  return DecodeSet(type, v);
}

}  // namespace

void CheckAttributeName(std::string_view name) {
  if (name.empty()) throw ApiError::Validation("Empty attribute name");
  if (name.size() > kMaxAttributeNameBytes) {
    throw ApiError::Validation(
        "1 validation error detected: Attribute name is too large, must be less than 65536 bytes");
  }
}

AttributeValue DecodeAttributeValue(const json::value& json) { return Decode(json, 0); }

model::Item DecodeItem(const json::value& json) {
  return DecodeMembers(ExpectObject(json, "Item"), 1);
}

json::value EncodeAttributeValue(const AttributeValue& v) {
  json::object out;
  switch (v.type()) {
    case model::AttrType::kS: out["S"] = v.s(); break;
    case model::AttrType::kN: out["N"] = v.n().ToString(); break;
    case model::AttrType::kB: out["B"] = Base64Encode(v.b()); break;
    case model::AttrType::kBool: out["BOOL"] = v.boolean(); break;
    case model::AttrType::kNull: out["NULL"] = true; break;
    case model::AttrType::kM: out["M"] = EncodeItem(v.m()); break;
    case model::AttrType::kL: {
      json::array arr;
      arr.reserve(v.l().size());
      for (const auto& e : v.l()) arr.push_back(EncodeAttributeValue(e));
      out["L"] = std::move(arr);
      break;
    }
    case model::AttrType::kSS: {
      json::array arr;
      for (const auto& s : v.ss()) arr.emplace_back(s);
      out["SS"] = std::move(arr);
      break;
    }
    case model::AttrType::kNS: {
      json::array arr;
      for (const auto& n : v.ns()) arr.emplace_back(n.ToString());
      out["NS"] = std::move(arr);
      break;
    }
    case model::AttrType::kBS: {
      json::array arr;
      for (const auto& b : v.bs()) arr.emplace_back(Base64Encode(b));
      out["BS"] = std::move(arr);
      break;
    }
  }
  return out;
}

json::object EncodeItem(const model::Item& item) {
  json::object out;
  out.reserve(item.size());
  for (const auto& [name, value] : item) out[name] = EncodeAttributeValue(value);
  return out;
}

}  // namespace meridian::api
