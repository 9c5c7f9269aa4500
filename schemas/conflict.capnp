# Replication metadata and CRDT state of item versions, and conflict records
# (conflict/version_codec.h, docs/conflicts.md).
# Field numbers are append-only: never renumber, never reuse; add new fields at the end.
# Every list is stored in the library's canonical order (noted per field), so equal
# versions encode to identical bytes on every region.
@0xefb98d8294f80928;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("meridian::schemas");

using Item = import "item.capnp";

# One write: record `seq` (>= 1) of `region`'s change log. Also a version-vector entry:
# the highest seq of `region` seen.
struct Dot {
  region @0 :UInt32;
  seq @1 :UInt64;
}

struct VersionVector {
  entries @0 :List(Dot);   # sorted by region, seq >= 1, at most one per region
}

enum ConflictPolicy {
  lww @0;
  merge @1;
}

# merge policy: one whole-attribute write (SET, or an attribute of a PutItem).
struct RegisterEntry {
  region @0 :UInt32;            # the write's dot
  seq @1 :UInt64;
  hlc @2 :UInt64;               # 48-bit ms << 16 | 16-bit logical
  value @3 :Item.AttributeValue;  # SS/NS/BS: an empty set of that type (members below)
}

# merge policy: one member of an SS/NS/BS attribute (add-wins observed-remove set).
struct SetElement {
  union {
    s @0 :Text;
    n @1 :Text;                 # canonical decimal text
    b @2 :Data;
  }
  dots @3 :List(Dot);           # adds that put it here; sorted, non-empty
}

# merge policy: one region's PN-counter contributions to an attribute.
struct CounterEntry {
  region @0 :UInt32;
  seq @1 :UInt64;               # the region's latest ADD
  total @2 :Text;               # exact sum of all its ADDs (unbounded decimal, "-25E-1")
  floorSeq @3 :UInt64;          # newest of those ADDs seen by a SET/REMOVE/delete
  floorTotal @4 :Text;          # total as of floorSeq
}

struct AttributeState {
  name @0 :Text;
  registers @1 :List(RegisterEntry);  # sorted by (region, seq)
  elements @2 :List(SetElement);      # sorted by member type (s, n, b), then value
  counters @3 :List(CounterEntry);    # sorted by region
}

struct ItemVersion {
  policy @0 :ConflictPolicy;
  vector @1 :VersionVector;     # causal context: every write this version has seen
  region @2 :UInt32;            # dot of the newest write (lww: the winning write)
  seq @3 :UInt64;
  hlc @4 :UInt64;               # that write's timestamp
  tombstone @5 :Bool;           # nothing visible
  item @6 :List(Item.Attribute);        # lww: the item, sorted by name
  attributes @7 :List(AttributeState);  # merge: CRDT state, sorted by name
}

enum ConflictRule {
  lwwHigherTimestamp @0;
  lwwRegionTieBreak @1;
  mergeAttributes @2;
}

enum ConflictWinner {
  local @0;
  remote @1;
  merged @2;
}

enum AttributeRule {
  registerLww @0;
  counterSum @1;
  addWinsSet @2;
  keptUnseen @3;
  removed @4;
}

struct ConflictSide {
  region @0 :UInt32;
  seq @1 :UInt64;
  hlc @2 :UInt64;
  vector @3 :VersionVector;
  tombstone @4 :Bool;
  item @5 :List(Item.Attribute);   # as users saw it, sorted by name
}

struct AttributeResolution {
  name @0 :Text;
  rule @1 :AttributeRule;
}

# One entry of the conflict log: two concurrent versions of an item and the outcome.
struct ConflictRecord {
  policy @0 :ConflictPolicy;
  rule @1 :ConflictRule;
  winner @2 :ConflictWinner;
  local @3 :ConflictSide;
  remote @4 :ConflictSide;
  merged @5 :ConflictSide;
  attributes @6 :List(AttributeResolution);  # sorted by name
}
