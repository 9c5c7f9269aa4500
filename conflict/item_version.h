// One version of an item with its replication metadata: what a region stores, ships in its
// change log, and merges (docs/design.md sections 2, 4, 5).
#pragma once

#include <string_view>

#include "common/status.h"
#include "conflict/attribute_state.h"
#include "conflict/hlc.h"
#include "conflict/version_vector.h"
#include "model/attribute_value.h"

namespace meridian::conflict {

// Per-table conflict policy (tag `meridian:conflict`).
enum class ConflictPolicy : uint8_t {
  kLww,    // whole item: last writer wins on (HLC, origin region)
  kMerge,  // per top-level attribute CRDTs (attribute_state.h)
};

// "lww" / "merge".
const char* PolicyName(ConflictPolicy policy);
// Parses the tag value; InvalidArgument for anything but "lww" or "merge".
Result<ConflictPolicy> ParsePolicy(std::string_view name);

// A default-constructed ItemVersion is the version of an item never written anywhere: empty
// vector, tombstone. Every other version comes from ApplyLocalWrite (local_write.h), Join /
// MergeRemote (merge.h) or DecodeItemVersion (version_codec.h), which keep the invariants:
//  - every dot inside (dot, register and element dots, counter seqs) is covered by `vector`;
//  - `dot`/`hlc` is the greatest (hlc, dot) write the version contains, and a write always
//    gets a greater hlc than the version it was built from, so (hlc, dot) grows along
//    causality;
//  - kLww versions leave `attributes` empty; kMerge versions leave `item` empty;
//  - `tombstone` == "no attribute is visible";
//  - containers are sorted canonically, so equal versions encode to identical bytes.
struct ItemVersion {
  ConflictPolicy policy = ConflictPolicy::kLww;
  VersionVector vector;  // causal context: every write this version has seen
  Dot dot;               // kLww: the winning write; kMerge: the greatest write it contains
  Hlc hlc;               // that write's timestamp
  bool tombstone = true;
  model::Item item;            // kLww: the item (empty when tombstone)
  AttributeStates attributes;  // kMerge: CRDT state per top-level attribute

  // False for the default "never written" version.
  bool written() const { return !vector.empty(); }
  bool operator==(const ItemVersion&) const = default;
};

// The item a reader sees: kLww returns `item`; kMerge evaluates every attribute's CRDT
// state (MaterializeAttribute). Empty exactly when version.tombstone.
model::Item Materialize(const ItemVersion& version);

// True when some attribute of a kMerge state is visible (the kMerge tombstone rule).
bool AnyAttributePresent(const AttributeStates& attributes);

}  // namespace meridian::conflict
