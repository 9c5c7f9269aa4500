// Helpers shared by the expression tests: value builders and a placeholder environment.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/attribute_value.h"
#include "model/expression.h"
#include "model/number.h"

namespace meridian::model {
// Readable gtest failure output for values.
inline void PrintTo(const AttributeValue& v, std::ostream* os);
}  // namespace meridian::model

namespace meridian::model::expr::test {

inline Number Num(std::string_view text) { return Number::Parse(text).value(); }
inline AttributeValue S(std::string s) { return AttributeValue::S(std::move(s)); }
inline AttributeValue N(std::string_view text) { return AttributeValue::N(Num(text)); }
inline AttributeValue B(std::string bytes) { return AttributeValue::B(std::move(bytes)); }
inline AttributeValue Bool(bool b) { return AttributeValue::Bool(b); }
inline AttributeValue Null() { return AttributeValue::Null(); }
inline AttributeValue L(AttributeValue::List l) { return AttributeValue::L(std::move(l)); }
inline AttributeValue M(AttributeValue::Map m) { return AttributeValue::M(std::move(m)); }
inline AttributeValue SS(std::vector<std::string> v) { return AttributeValue::SS(std::move(v)); }
inline AttributeValue BS(std::vector<std::string> v) { return AttributeValue::BS(std::move(v)); }
inline AttributeValue NS(std::vector<std::string_view> v) {
  std::vector<Number> n;
  for (std::string_view s : v) n.push_back(Num(s));
  return AttributeValue::NS(std::move(n));
}

// ExpressionAttributeNames / ExpressionAttributeValues of one request.
struct Env {
  std::map<std::string, std::string> names;
  std::map<std::string, AttributeValue> values;
  ExpressionContext ctx;

  Env() {
    ctx.names = &names;
    ctx.values = &values;
  }
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  Env& Name(std::string ref, std::string name) {
    names[std::move(ref)] = std::move(name);
    return *this;
  }
  Env& Value(std::string ref, AttributeValue value) {
    values[std::move(ref)] = std::move(value);
    return *this;
  }

  // The error message of parsing, or "OK".
  std::string ConditionError(std::string_view text, std::string_view kind = "ConditionExpression") {
    auto r = ParseCondition(text, kind, ctx);
    return r.ok() ? "OK" : r.status().message();
  }
  std::string UpdateError(std::string_view text) {
    auto r = ParseUpdate(text, ctx);
    return r.ok() ? "OK" : r.status().message();
  }
  std::string ProjectionError(std::string_view text) {
    auto r = ParseProjection(text, ctx);
    return r.ok() ? "OK" : r.status().message();
  }
  std::string KeyError(std::string_view text) {
    auto r = ParseKeyCondition(text, ctx);
    return r.ok() ? "OK" : r.status().message();
  }
};

}  // namespace meridian::model::expr::test

namespace meridian::model {
inline void PrintTo(const AttributeValue& v, std::ostream* os) {
  *os << "{" << TypeName(v.type()) << ":";
  switch (v.type()) {
    case AttrType::kS: *os << '"' << v.s() << '"'; break;
    case AttrType::kN: *os << v.n().ToString(); break;
    case AttrType::kB: *os << v.b().size() << " bytes"; break;
    case AttrType::kBool: *os << (v.boolean() ? "true" : "false"); break;
    case AttrType::kNull: *os << "true"; break;
    case AttrType::kM:
      for (const auto& [k, child] : v.m()) {
        *os << " " << k << "=";
        PrintTo(child, os);
      }
      break;
    case AttrType::kL:
      for (const auto& child : v.l()) {
        *os << " ";
        PrintTo(child, os);
      }
      break;
    case AttrType::kSS:
      for (const auto& e : v.ss()) *os << " \"" << e << '"';
      break;
    case AttrType::kNS:
      for (const auto& e : v.ns()) *os << " " << e.ToString();
      break;
    case AttrType::kBS: *os << " " << v.bs().size() << " binaries"; break;
  }
  *os << "}";
}
}  // namespace meridian::model
