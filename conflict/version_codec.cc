#include "conflict/version_codec.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>

#include <cstring>
#include <utility>

#include "conflict/attribute_value_capnp.h"
#include "conflict/version_capnp.h"
#include "conflict/version_codec_internal.h"

namespace meridian::conflict {
namespace {

using internal::AsData;
using internal::ToString;

Status Corrupt(const std::string& what) { return Status::Corruption("item version: " + what); }

Result<Dot> ReadCoveredDot(RegionId region, uint64_t seq, const VersionVector& vector) {
  Dot dot{region, seq};
  if (!dot.valid() || !vector.Covers(dot)) return Corrupt("dot " + dot.ToString() + " not covered");
  return dot;
}

void WriteDots(const std::vector<Dot>& dots, capnp::List<schemas::Dot>::Builder out) {
  for (unsigned i = 0; i < dots.size(); ++i) {
    out[i].setRegion(dots[i].region);
    out[i].setSeq(dots[i].seq);
  }
}

void WriteAttributeState(const std::string& name, const AttributeState& s,
                         schemas::AttributeState::Builder out) {
  out.setName(internal::AsText(name));
  auto registers = out.initRegisters(s.registers.size());
  for (unsigned i = 0; i < s.registers.size(); ++i) {
    const RegisterEntry& r = s.registers[i];
    registers[i].setRegion(r.dot.region);
    registers[i].setSeq(r.dot.seq);
    registers[i].setHlc(r.hlc.packed());
    internal::WriteValue(r.value, registers[i].initValue());
  }
  auto elements = out.initElements(s.elements.size());
  for (unsigned i = 0; i < s.elements.size(); ++i) {
    const SetElement& e = s.elements[i];
    if (e.type == model::AttrType::kN) {
      elements[i].setN(e.number.ToString());
    } else if (e.type == model::AttrType::kB) {
      elements[i].setB(AsData(e.bytes));
    } else {
      elements[i].setS(e.bytes);
    }
    WriteDots(e.dots, elements[i].initDots(e.dots.size()));
  }
  auto counters = out.initCounters(s.counters.size());
  for (unsigned i = 0; i < s.counters.size(); ++i) {
    const CounterEntry& c = s.counters[i];
    counters[i].setRegion(c.region);
    counters[i].setSeq(c.seq);
    counters[i].setTotal(c.total.ToString());
    counters[i].setFloorSeq(c.floor_seq);
    counters[i].setFloorTotal(c.floor_total.ToString());
  }
}

Result<SetElement> ReadElement(schemas::SetElement::Reader in, const VersionVector& vector) {
  SetElement e;
  switch (in.which()) {
    case schemas::SetElement::S:
      e.type = model::AttrType::kS;
      e.bytes = ToString(in.getS());
      break;
    case schemas::SetElement::N: {
      e.type = model::AttrType::kN;
      Result<model::Number> n = internal::ReadNumber(in.getN());
      if (!n.ok()) return n.status();
      e.number = std::move(n).value();
      break;
    }
    case schemas::SetElement::B:
      e.type = model::AttrType::kB;
      e.bytes = ToString(in.getB());
      break;
    default: return Corrupt("unknown set element type");
  }
  const auto dots = in.getDots();
  e.dots.reserve(dots.size());
  for (auto d : dots) {
    Result<Dot> dot = ReadCoveredDot(d.getRegion(), d.getSeq(), vector);
    if (!dot.ok()) return dot.status();
    if (!e.dots.empty() && !(e.dots.back() < *dot)) return Corrupt("element dots out of order");
    e.dots.push_back(*dot);
  }
  if (e.dots.empty()) return Corrupt("set element without dots");
  return e;
}

Result<CounterEntry> ReadCounter(schemas::CounterEntry::Reader in, const VersionVector& vector) {
  CounterEntry c;
  c.region = in.getRegion();
  Result<Dot> dot = ReadCoveredDot(c.region, in.getSeq(), vector);
  if (!dot.ok()) return dot.status();
  c.seq = dot->seq;
  c.floor_seq = in.getFloorSeq();
  if (c.floor_seq > c.seq) return Corrupt("counter floor above its latest increment");
  Result<ExactDecimal> total = ExactDecimal::Parse(ToString(in.getTotal()));
  if (!total.ok()) return total.status();
  Result<ExactDecimal> floor = ExactDecimal::Parse(ToString(in.getFloorTotal()));
  if (!floor.ok()) return floor.status();
  c.total = std::move(total).value();
  c.floor_total = std::move(floor).value();
  return c;
}

Result<AttributeState> ReadAttributeState(schemas::AttributeState::Reader in,
                                          const VersionVector& vector) {
  AttributeState s;
  // Each get*() re-validates its pointer: read every list once.
  const auto registers = in.getRegisters();
  s.registers.reserve(registers.size());
  for (auto r : registers) {
    Result<Dot> dot = ReadCoveredDot(r.getRegion(), r.getSeq(), vector);
    if (!dot.ok()) return dot.status();
    if (!s.registers.empty() && !(s.registers.back().dot < *dot)) {
      return Corrupt("registers out of order");
    }
    Result<model::AttributeValue> value = internal::ReadValue(r.getValue());
    if (!value.ok()) return value.status();
    s.registers.push_back({*dot, Hlc::FromPacked(r.getHlc()), std::move(value).value()});
  }
  const auto elements = in.getElements();
  s.elements.reserve(elements.size());
  for (auto e : elements) {
    Result<SetElement> element = ReadElement(e, vector);
    if (!element.ok()) return element.status();
    if (!s.elements.empty() && !ElementLess(s.elements.back(), *element)) {
      return Corrupt("set elements out of order");
    }
    s.elements.push_back(std::move(element).value());
  }
  const auto counters = in.getCounters();
  s.counters.reserve(counters.size());
  for (auto c : counters) {
    Result<CounterEntry> counter = ReadCounter(c, vector);
    if (!counter.ok()) return counter.status();
    if (!s.counters.empty() && s.counters.back().region >= counter->region) {
      return Corrupt("counters out of order");
    }
    s.counters.push_back(std::move(counter).value());
  }
  if (s.empty()) return Corrupt("empty attribute state");
  return s;
}

}  // namespace

void WriteVersionVector(const VersionVector& vector, schemas::VersionVector::Builder out) {
  auto entries = out.initEntries(vector.size());
  for (unsigned i = 0; i < vector.size(); ++i) {
    entries[i].setRegion(vector.entries()[i].region);
    entries[i].setSeq(vector.entries()[i].seq);
  }
}

Result<VersionVector> ReadVersionVector(schemas::VersionVector::Reader in) {
  const auto list = in.getEntries();
  std::vector<VersionVector::Entry> entries;
  entries.reserve(list.size());
  for (auto e : list) {
    if (e.getSeq() == 0) return Corrupt("zero seq in version vector");
    if (!entries.empty() && entries.back().region >= e.getRegion()) {
      return Corrupt("version vector out of order");
    }
    entries.push_back({e.getRegion(), e.getSeq()});
  }
  return VersionVector::FromEntries(std::move(entries));
}

void WriteItemVersion(const ItemVersion& v, schemas::ItemVersion::Builder out) {
  out.setPolicy(v.policy == ConflictPolicy::kMerge ? schemas::ConflictPolicy::MERGE
                                                   : schemas::ConflictPolicy::LWW);
  WriteVersionVector(v.vector, out.initVector());
  out.setRegion(v.dot.region);
  out.setSeq(v.dot.seq);
  out.setHlc(v.hlc.packed());
  out.setTombstone(v.tombstone);
  if (v.policy == ConflictPolicy::kLww) {
    internal::WriteItem(v.item, out.initItem(v.item.size()));
    return;
  }
  auto attributes = out.initAttributes(v.attributes.size());
  for (unsigned i = 0; i < v.attributes.size(); ++i) {
    WriteAttributeState(v.attributes[i].first, v.attributes[i].second, attributes[i]);
  }
}

Result<ItemVersion> ReadItemVersion(schemas::ItemVersion::Reader in) {
  try {
    ItemVersion v;
    switch (in.getPolicy()) {
      case schemas::ConflictPolicy::LWW: v.policy = ConflictPolicy::kLww; break;
      case schemas::ConflictPolicy::MERGE: v.policy = ConflictPolicy::kMerge; break;
      default: return Corrupt("unknown policy");
    }
    Result<VersionVector> vector = ReadVersionVector(in.getVector());
    if (!vector.ok()) return vector.status();
    v.vector = std::move(vector).value();
    v.dot = Dot{in.getRegion(), in.getSeq()};
    if (!v.vector.Covers(v.dot) || v.dot.valid() != v.written()) {
      return Corrupt("version dot " + v.dot.ToString() + " does not match its vector");
    }
    v.hlc = Hlc::FromPacked(in.getHlc());
    v.tombstone = in.getTombstone();
    if (v.policy == ConflictPolicy::kLww) {
      if (in.hasAttributes() && in.getAttributes().size() > 0)
        return Corrupt("lww with CRDT state");
      Result<model::Item> item = internal::ReadItem(in.getItem());
      if (!item.ok()) return item.status();
      v.item = std::move(item).value();
      return v;
    }
    if (in.hasItem() && in.getItem().size() > 0) return Corrupt("merge version with an lww item");
    const auto attributes = in.getAttributes();
    v.attributes.reserve(attributes.size());
    for (auto a : attributes) {
      std::string name = ToString(a.getName());
      if (!v.attributes.empty() && v.attributes.back().first >= name) {
        return Corrupt("attributes out of order");
      }
      Result<AttributeState> state = ReadAttributeState(a, v.vector);
      if (!state.ok()) return state.status();
      v.attributes.emplace_back(std::move(name), std::move(state).value());
    }
    return v;
  } catch (const kj::Exception& e) {
    return Corrupt(e.getDescription().cStr());
  }
}

std::string EncodeItemVersion(const ItemVersion& version) {
  schemas::ScratchMessage scratch;
  capnp::MessageBuilder& message = scratch.builder();
  WriteItemVersion(version, message.initRoot<schemas::ItemVersion>());
  return internal::MessageToString(message);
}

Result<ItemVersion> DecodeItemVersion(std::string_view bytes) {
  return internal::WithReader<ItemVersion>(
      bytes, "item version", [](capnp::MessageReader& reader) -> Result<ItemVersion> {
        return ReadItemVersion(reader.getRoot<schemas::ItemVersion>());
      });
}

}  // namespace meridian::conflict
