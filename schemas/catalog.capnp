# Table catalog entries (RocksDB values under the catalog prefix). Append-only field numbers.
@0xc3a9d4e5f6a7b8c9;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("meridian::schemas");

enum KeyType { s @0; n @1; b @2; }

struct KeyAttribute {
  name @0 :Text;
  type @1 :KeyType;
}

struct Tag {
  key @0 :Text;
  value @1 :Text;
}

struct TableDescriptor {
  name @0 :Text;
  tableId @1 :UInt32;            # prefix of every item key of this table
  partitionKey @2 :KeyAttribute;
  sortKey @3 :KeyAttribute;      # name empty for hash-only tables
  hasSortKey @4 :Bool;
  creationTimeMs @5 :UInt64;
  billingMode @6 :Text;          # PROVISIONED | PAY_PER_REQUEST
  readCapacity @7 :UInt64;
  writeCapacity @8 :UInt64;
  tags @9 :List(Tag);
  conflictPolicy @10 :Text;      # lww | merge (tag meridian:conflict)
  deleting @11 :Bool;            # DeleteTable in progress: items being dropped
  allRegions @12 :Bool;          # a replica in every region of the cluster (--global-tables)
  replicas @13 :List(Replica);   # the regions holding the table (when not allRegions)
  updateHlc @14 :UInt64;         # HLC of the last definition change: descriptors are LWW on
  updateOrigin @15 :UInt32;      # (updateHlc, updateOrigin) across regions
  indexes @16 :List(SecondaryIndex);
  streamEnabled @17 :Bool;       # StreamSpecification (DynamoDB Streams)
  streamViewType @18 :Text;      # KEYS_ONLY | NEW_IMAGE | OLD_IMAGE | NEW_AND_OLD_IMAGES
  streamLabelMs @19 :UInt64;     # when the current (or last) stream was enabled: its label
  ttlEnabled @20 :Bool;          # TimeToLiveSpecification
  ttlAttribute @21 :Text;
  throughput @22 :ThroughputChanges;
}

# When provisioned throughput last went up and down, and the decreases of that UTC day.
struct ThroughputChanges {
  lastIncreaseMs @0 :UInt64;
  lastDecreaseMs @1 :UInt64;
  decreasesToday @2 :UInt32;     # in the UTC day of lastDecreaseMs
}

# A global or local secondary index of a table (DynamoDB GlobalSecondaryIndexes /
# LocalSecondaryIndexes). Its entries live in the store's `indexes` column family.
struct SecondaryIndex {
  name @0 :Text;
  local @1 :Bool;                # LSI (same partition key as the table) rather than GSI
  indexId @2 :UInt32;            # prefix of the index's entries; local to each region (0 when shipped)
  partitionKey @3 :KeyAttribute;
  sortKey @4 :KeyAttribute;
  hasSortKey @5 :Bool;
  projectionType @6 :Text;       # KEYS_ONLY | INCLUDE | ALL
  nonKeyAttributes @7 :List(Text);
  readCapacity @8 :UInt64;       # GSIs under PROVISIONED billing
  writeCapacity @9 :UInt64;
  throughput @10 :ThroughputChanges;
}

struct Replica {
  region @0 :Text;
  addedOrigin @1 :UInt32;        # the change that added this replica (0 = at creation):
  addedSeq @2 :UInt64;           # the replica is CREATING until it has applied it and backfilled
}
