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

# (ItemMeta @? / StoredItem were the pre-replication stored format; items are now stored as
# conflict.capnp ItemVersion. Never reuse their names for other layouts.)
