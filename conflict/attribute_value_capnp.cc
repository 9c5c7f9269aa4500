#include "conflict/attribute_value_capnp.h"

#include <string_view>
#include <utility>

namespace meridian::conflict::internal {

using model::AttributeValue;
using model::AttrType;

void WriteItem(const model::Item& item, capnp::List<schemas::Attribute>::Builder out) {
  unsigned i = 0;
  for (const auto& [name, value] : item) {
    auto attr = out[i++];
    attr.setName(AsText(name));
    WriteValue(value, attr.initValue());
  }
}

void WriteValue(const AttributeValue& v, schemas::AttributeValue::Builder out) {
  switch (v.type()) {
    case AttrType::kS: out.setS(AsText(v.s())); break;
    case AttrType::kN: out.setN(v.n().ToString()); break;
    case AttrType::kB: out.setB(AsData(v.b())); break;
    case AttrType::kBool: out.setBoolean(v.boolean()); break;
    case AttrType::kNull: out.setNull(); break;
    case AttrType::kM: WriteItem(v.m(), out.initM(v.m().size())); break;
    case AttrType::kL: {
      auto list = out.initL(v.l().size());
      for (unsigned i = 0; i < v.l().size(); ++i) WriteValue(v.l()[i], list[i]);
      break;
    }
    case AttrType::kSS: {
      auto list = out.initSs(v.ss().size());
      for (unsigned i = 0; i < v.ss().size(); ++i) list.set(i, AsText(v.ss()[i]));
      break;
    }
    case AttrType::kNS: {
      auto list = out.initNs(v.ns().size());
      for (unsigned i = 0; i < v.ns().size(); ++i) list.set(i, v.ns()[i].ToString());
      break;
    }
    case AttrType::kBS: {
      auto list = out.initBs(v.bs().size());
      for (unsigned i = 0; i < v.bs().size(); ++i) list.set(i, AsData(v.bs()[i]));
      break;
    }
  }
}

Result<model::Number> ReadNumber(capnp::Text::Reader text) {
  Result<model::Number> n = model::Number::Parse(std::string_view(text.cStr(), text.size()));
  if (!n.ok()) return Status::Corruption("stored number: " + n.status().message());
  return n;
}

Result<model::Item> ReadItem(capnp::List<schemas::Attribute>::Reader in) {
  model::Item::sequence_type item;
  item.reserve(in.size());
  for (auto attr : in) {
    Result<AttributeValue> value = ReadValue(attr.getValue());
    if (!value.ok()) return value.status();
    item.emplace_back(ToString(attr.getName()), std::move(value).value());
  }
  return model::MapFromMembers(std::move(item));  // sorted as written; a peer's need not be
}

Result<AttributeValue> ReadValue(schemas::AttributeValue::Reader r) {
  switch (r.which()) {
    case schemas::AttributeValue::S: return AttributeValue::S(ToString(r.getS()));
    case schemas::AttributeValue::N: {
      Result<model::Number> n = ReadNumber(r.getN());
      if (!n.ok()) return n.status();
      return AttributeValue::N(std::move(n).value());
    }
    case schemas::AttributeValue::B: return AttributeValue::B(ToString(r.getB()));
    case schemas::AttributeValue::BOOLEAN: return AttributeValue::Bool(r.getBoolean());
    case schemas::AttributeValue::NULL_: return AttributeValue::Null();
    case schemas::AttributeValue::M: {
      Result<model::Item> m = ReadItem(r.getM());
      if (!m.ok()) return m.status();
      return AttributeValue::M(std::move(m).value());
    }
    case schemas::AttributeValue::L: {
      AttributeValue::List list;
      list.reserve(r.getL().size());
      for (auto e : r.getL()) {
        Result<AttributeValue> v = ReadValue(e);
        if (!v.ok()) return v.status();
        list.push_back(std::move(v).value());
      }
      return AttributeValue::L(std::move(list));
    }
    case schemas::AttributeValue::SS: {
      std::vector<std::string> v;
      v.reserve(r.getSs().size());
      for (auto e : r.getSs()) v.push_back(ToString(e));
      return AttributeValue::SS(std::move(v));
    }
    case schemas::AttributeValue::NS: {
      std::vector<model::Number> v;
      v.reserve(r.getNs().size());
      for (auto e : r.getNs()) {
        Result<model::Number> n = ReadNumber(e);
        if (!n.ok()) return n.status();
        v.push_back(std::move(n).value());
      }
      return AttributeValue::NS(std::move(v));
    }
    case schemas::AttributeValue::BS: {
      std::vector<std::string> v;
      v.reserve(r.getBs().size());
      for (auto e : r.getBs()) v.push_back(ToString(e));
      return AttributeValue::BS(std::move(v));
    }
  }
  return Status::Corruption("unknown attribute value type");
}

}  // namespace meridian::conflict::internal
