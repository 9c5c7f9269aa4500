// CRDT state of one top-level attribute under the `merge` policy (docs/conflicts.md).
//
// Three parts, each keyed so that the item's version vector (its causal context) tells
// "never seen" from "seen and removed" (the ORSWOT idea; no per-element tombstones):
//  - registers: whole-attribute writes (SET, or the attribute's value in a PutItem), a
//    multi-value register keyed by dot. Concurrent writes all stay; the visible one is the
//    greatest (hlc, dot). A later write, REMOVE or item delete drops the entries it saw.
//  - elements: an add-wins observed-remove set. Each element carries the dots of the adds
//    that put it there; a remove drops the dots it saw, so a concurrent unseen add survives.
//  - counters: a PN-counter, one entry per region: the region's latest ADD (seq) and the
//    running total of all its ADDs, plus a floor: the newest (seq, total) of that region a
//    SET/REMOVE/delete had seen. Increments above the floor are live; those below were
//    consumed. Both halves only grow (max by seq), so counters never lose an increment.
//
// The visible value: the winning register's value plus every live increment (a number),
// or the winning register's set type filled with the live elements of that type, or the
// register's value as is for other types. Without a register: live increments make a
// number, else the live elements make a set (SS before NS before BS). See MaterializeAttribute.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "conflict/exact_decimal.h"
#include "conflict/hlc.h"
#include "conflict/version_vector.h"
#include "model/attribute_value.h"

namespace meridian::conflict {

// One whole-attribute write.
struct RegisterEntry {
  Dot dot;
  Hlc hlc;
  // The written value. For SS/NS/BS it is an empty set of that type (a type marker): the
  // elements live in AttributeState::elements under the same dot.
  model::AttributeValue value;
  bool operator==(const RegisterEntry&) const = default;
};

// One member of an SS, NS or BS attribute.
struct SetElement {
  model::AttrType type = model::AttrType::kS;  // kS, kN or kB: the member type
  std::string bytes;                           // kS, kB
  model::Number number;                        // kN
  std::vector<Dot> dots;                       // adds that put it here; sorted, non-empty
  bool operator==(const SetElement&) const = default;
};

// Canonical element order: by type (S, N, B), then by bytes or numeric value.
bool ElementLess(const SetElement& a, const SetElement& b);

// The member type of a set type: kSS -> kS, kNS -> kN, kBS -> kB.
// REQUIRES: set_type is kSS, kNS or kBS.
model::AttrType MemberType(model::AttrType set_type);

// One region's PN-counter contributions. Invariant: floor_seq <= seq.
struct CounterEntry {
  RegionId region = 0;
  uint64_t seq = 0;          // dot seq of the region's latest ADD on this attribute
  ExactDecimal total;        // sum of all the region's ADDs on this attribute
  uint64_t floor_seq = 0;    // newest of those ADDs seen by a SET, REMOVE or delete
  ExactDecimal floor_total;  // `total` as of floor_seq
  bool live() const { return seq > floor_seq; }
  bool operator==(const CounterEntry&) const = default;
};

struct AttributeState {
  std::vector<RegisterEntry> registers;  // sorted by dot
  std::vector<SetElement> elements;      // sorted by ElementLess
  std::vector<CounterEntry> counters;    // sorted by region
  // Nothing left at all: the attribute can be dropped from the item.
  bool empty() const { return registers.empty() && elements.empty() && counters.empty(); }
  bool operator==(const AttributeState&) const = default;
};

// Per-attribute states of an item, sorted by attribute name (byte order), unique names.
using AttributeStates = std::vector<std::pair<std::string, AttributeState>>;

// The join of two states of one attribute whose items have causal contexts `ctx_a` and
// `ctx_b`: an entry present on both sides stays; one present on one side stays unless the
// other side's context covers its dot (the other side saw it and dropped it); counters take
// the newer half of each entry. Commutative, associative and idempotent.
// REQUIRES: every dot in a is covered by ctx_a, every dot in b by ctx_b.
AttributeState JoinAttribute(AttributeState a, const VersionVector& ctx_a, const AttributeState& b,
                             const VersionVector& ctx_b);

// Same as *a = JoinAttribute(*a, ctx_a, b, ctx_b), in place: parts whose dots agree on
// both sides (the common case) are left untouched and only what b adds is copied.
void JoinAttributeInto(AttributeState* a, const VersionVector& ctx_a, const AttributeState& b,
                       const VersionVector& ctx_b);

// The register entry that shows: the greatest (hlc, dot), or null when there is none.
const RegisterEntry* WinningRegister(const AttributeState& s);

// The value a reader sees, or nullopt when the attribute is absent. A counter sum that does
// not fit a DynamoDB number is truncated/clamped (ExactDecimal::ToNumberSaturating).
std::optional<model::AttributeValue> MaterializeAttribute(const AttributeState& s);

// Same as MaterializeAttribute(s).has_value(), without building the value.
bool AttributePresent(const AttributeState& s);

}  // namespace meridian::conflict
