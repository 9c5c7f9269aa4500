#include "store/item_codec.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>

#include <cstring>

#include "schemas/item.capnp.h"

namespace meridian::store {
namespace {

using model::AttributeValue;
using model::AttrType;

void FillValue(const AttributeValue& v, schemas::AttributeValue::Builder out);

void FillAttributes(const AttributeValue::Map& map,
                    capnp::List<schemas::Attribute>::Builder out) {
  unsigned i = 0;
  for (const auto& [name, value] : map) {
    auto attr = out[i++];
    attr.setName(name);
    FillValue(value, attr.initValue());
  }
}

capnp::Data::Reader AsData(const std::string& s) {
  return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

void FillValue(const AttributeValue& v, schemas::AttributeValue::Builder out) {
  switch (v.type()) {
    case AttrType::kS: out.setS(v.s()); break;
    case AttrType::kN: out.setN(v.n().ToString()); break;
    case AttrType::kB: out.setB(AsData(v.b())); break;
    case AttrType::kBool: out.setBoolean(v.boolean()); break;
    case AttrType::kNull: out.setNull(); break;
    case AttrType::kM: FillAttributes(v.m(), out.initM(v.m().size())); break;
    case AttrType::kL: {
      auto list = out.initL(v.l().size());
      for (unsigned i = 0; i < v.l().size(); ++i) FillValue(v.l()[i], list[i]);
      break;
    }
    case AttrType::kSS: {
      auto list = out.initSs(v.ss().size());
      for (unsigned i = 0; i < v.ss().size(); ++i) list.set(i, v.ss()[i]);
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

std::string ToString(capnp::Data::Reader d) {
  return std::string(reinterpret_cast<const char*>(d.begin()), d.size());
}

Result<AttributeValue> ReadValue(schemas::AttributeValue::Reader r);

Result<AttributeValue::Map> ReadAttributes(capnp::List<schemas::Attribute>::Reader list) {
  AttributeValue::Map map;
  for (auto attr : list) {
    auto value = ReadValue(attr.getValue());
    if (!value.ok()) return value.status();
    map.emplace(std::string(attr.getName().cStr(), attr.getName().size()),
                std::move(value).value());
  }
  return map;
}

Result<model::Number> ReadNumber(capnp::Text::Reader text) {
  auto n = model::Number::Parse(std::string_view(text.cStr(), text.size()));
  if (!n.ok()) return Status::Corruption("stored number: " + n.status().message());
  return n;
}

Result<AttributeValue> ReadValue(schemas::AttributeValue::Reader r) {
  switch (r.which()) {
    case schemas::AttributeValue::S:
      return AttributeValue::S(std::string(r.getS().cStr(), r.getS().size()));
    case schemas::AttributeValue::N: {
      auto n = ReadNumber(r.getN());
      if (!n.ok()) return n.status();
      return AttributeValue::N(*n);
    }
    case schemas::AttributeValue::B: return AttributeValue::B(ToString(r.getB()));
    case schemas::AttributeValue::BOOLEAN: return AttributeValue::Bool(r.getBoolean());
    case schemas::AttributeValue::NULL_: return AttributeValue::Null();
    case schemas::AttributeValue::M: {
      auto m = ReadAttributes(r.getM());
      if (!m.ok()) return m.status();
      return AttributeValue::M(std::move(m).value());
    }
    case schemas::AttributeValue::L: {
      AttributeValue::List list;
      list.reserve(r.getL().size());
      for (auto e : r.getL()) {
        auto v = ReadValue(e);
        if (!v.ok()) return v.status();
        list.push_back(std::move(v).value());
      }
      return AttributeValue::L(std::move(list));
    }
    case schemas::AttributeValue::SS: {
      std::vector<std::string> v;
      for (auto e : r.getSs()) v.emplace_back(e.cStr(), e.size());
      return AttributeValue::SS(std::move(v));
    }
    case schemas::AttributeValue::NS: {
      std::vector<model::Number> v;
      for (auto e : r.getNs()) {
        auto n = ReadNumber(e);
        if (!n.ok()) return n.status();
        v.push_back(*n);
      }
      return AttributeValue::NS(std::move(v));
    }
    case schemas::AttributeValue::BS: {
      std::vector<std::string> v;
      for (auto e : r.getBs()) v.push_back(ToString(e));
      return AttributeValue::BS(std::move(v));
    }
  }
  return Status::Corruption("unknown attribute value type");
}

}  // namespace

std::string EncodeStoredItem(const StoredItem& stored) {
  capnp::MallocMessageBuilder message(256);
  auto root = message.initRoot<schemas::StoredItem>();
  FillAttributes(stored.item, root.initAttributes(stored.item.size()));
  auto meta = root.initMeta();
  meta.setOriginRegion(stored.meta.origin_region);
  meta.setSeq(stored.meta.seq);
  meta.setHlc(stored.meta.hlc);
  meta.setTombstone(stored.meta.tombstone);
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

Result<StoredItem> DecodeStoredItem(std::string_view bytes) {
  if (bytes.size() % sizeof(capnp::word) != 0) {
    return Status::Corruption("stored item size is not a multiple of 8");
  }
  // RocksDB values carry no alignment guarantee: copy into word-aligned memory.
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  try {
    capnp::FlatArrayMessageReader reader(words);
    auto root = reader.getRoot<schemas::StoredItem>();
    StoredItem out;
    auto attrs = ReadAttributes(root.getAttributes());
    if (!attrs.ok()) return attrs.status();
    out.item = std::move(attrs).value();
    auto meta = root.getMeta();
    out.meta.origin_region = meta.getOriginRegion().cStr();
    out.meta.seq = meta.getSeq();
    out.meta.hlc = meta.getHlc();
    out.meta.tombstone = meta.getTombstone();
    return out;
  } catch (const kj::Exception& e) {
    return Status::Corruption(std::string("stored item: ") + e.getDescription().cStr());
  }
}

}  // namespace meridian::store
