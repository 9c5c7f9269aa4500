# Change-log records: one per committed write, keyed by the region's sequence number.
# Append-only field numbers.
@0xd4b0e5f6a7b8c9d0;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("meridian::schemas");

struct ChangeRecord {
  seq @0 :UInt64;
  tableId @1 :UInt32;
  tableName @2 :Text;
  itemKey @3 :Data;                 # RocksDB item key (table_id | hash | pk | sk)
  itemBytes @4 :Data;               # encoded StoredItem: full new state (tombstone for deletes)
  countDelta @5 :Int8;              # change of the table's live item count (-1, 0, +1)
  bytesDelta @6 :Int64;             # change of the table's size in bytes
}
