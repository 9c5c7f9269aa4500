# Stored item format (RocksDB values) and its attribute values.
# Field numbers are append-only: never renumber, never reuse; add new fields at the end.
@0xb1f5c0a6e1d2f3a4;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("meridian::schemas");

struct AttributeValue {
  union {
    s @0 :Text;
    n @1 :Text;          # canonical decimal text (exact, never a float)
    b @2 :Data;
    boolean @3 :Bool;
    null @4 :Void;
    m @5 :List(Attribute);
    l @6 :List(AttributeValue);
    ss @7 :List(Text);
    ns @8 :List(Text);
    bs @9 :List(Data);
  }
}

struct Attribute {
  name @0 :Text;
  value @1 :AttributeValue;
}

# Replication metadata of one item version (extended by the conflict/ library).
struct ItemMeta {
  originRegion @0 :Text;   # region whose write produced this version
  seq @1 :UInt64;          # that region's change-log sequence number
  hlc @2 :UInt64;          # hybrid logical clock: 48-bit ms << 16 | 16-bit logical
  tombstone @3 :Bool;      # a delete: the item is absent but its version is kept
}

struct StoredItem {
  attributes @0 :List(Attribute);   # sorted by name
  meta @1 :ItemMeta;
}
