# Replication wire and log formats (DESIGN.md section 4, docs/replication.md).
# Field numbers are append-only: never renumber, never reuse; add new fields at the end.
@0xfd54a2dde4f8be99;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("meridian::schemas");

using Conflict = import "conflict.capnp";

# One committed change of an origin region's log. Stored in every region's log column
# family under origin|seq (so any region can serve any origin's records) and shipped as is.
struct Change {
  origin @0 :UInt32;              # region id whose write this is
  seq @1 :UInt64;                 # the origin's log sequence number (gapless from 1)
  kind @2 :Kind;
  tableName @3 :Text;
  keySuffix @4 :Data;             # item key without the table id: hash64(pk) | pk | sk
  version @5 :Data;               # kind=item: the full new version (conflict.capnp ItemVersion)
  table @6 :Data;                 # kind=createTable: catalog.capnp TableDescriptor
  deps @7 :Conflict.VersionVector;  # the origin's applied vector at commit time
  hlcMillis @8 :UInt64;           # commit time at the origin (for lag accounting)
  # A transaction's changes are one unit: consecutive seqs [txnFirst, txnFirst + txnCount)
  # of the origin, committed in one WriteBatch there and applied together everywhere.
  txnFirst @9 :UInt64;            # 0: not part of a transaction
  txnCount @10 :UInt32;
  ttlExpiry @11 :Bool;            # kind=item: a delete by the TTL sweeper (stream records say so)

  enum Kind {
    item @0;
    createTable @1;
    deleteTable @2;
    updateTable @3;               # table = the new TableDescriptor (LWW on updateHlc/updateOrigin)
  }
}

# A run of consecutive changes of one origin, published on meridian.<cluster>.changes.<origin>
# and returned by fetch. Records hold consecutive seqs starting at firstSeq.
struct ChangeBatch {
  origin @0 :UInt32;
  firstSeq @1 :UInt64;
  changes @2 :List(Data);         # each an encoded Change (the log value, byte for byte)
  sender @3 :UInt32;              # region that sent it (differs from origin for relayed fetches)
  firstAvailable @4 :UInt64;      # fetch replies: the oldest seq of origin the sender still has
                                  # (older ones were trimmed); 0 = not said
}

# Request on meridian.<cluster>.fetch.<region>: the records of `origin` from `fromSeq`.
struct FetchRequest {
  origin @0 :UInt32;
  fromSeq @1 :UInt64;
  maxChanges @2 :UInt32;
  maxBytes @3 :UInt32;
  requester @4 :UInt32;
}

# Published every heartbeat period on meridian.<cluster>.heartbeat.<region>.
struct Heartbeat {
  region @0 :UInt32;
  regionName @1 :Text;
  headSeq @2 :UInt64;             # the region's own committed log head
  applied @3 :Conflict.VersionVector;  # what it has applied of every origin (incl. itself)
  nowMillis @4 :UInt64;
  serverId @5 :Text;
  backfilling @6 :List(Text);     # tables this region is still backfilling (replica CREATING)
  adminUrl @7 :Text;              # its operator status API (meridianctl discovers regions by it)
}

# A new replica (or a region that fell behind the retained log) copies a table from a peer.
# Request/reply on meridian.<cluster>.snapshot.<peer>, one chunk per request.
struct SnapshotRequest {
  requester @0 :UInt32;
  table @1 :Text;
  afterKey @2 :Data;              # resume after this key suffix (empty: from the start)
  maxBytes @3 :UInt32;
  untilKey @4 :Data;              # stop before this key suffix (empty: the table's end)
  catalog @5 :Bool;               # instead of items: every table definition the peer knows
                                  # (keys = names, versions = TableDescriptors), table ignored
}

struct SnapshotChunk {
  table @0 :Text;
  found @1 :Bool;                 # false: the peer does not hold the table (or not yet)
  vector @2 :Conflict.VersionVector;  # the peer's applied vector at this chunk's snapshot
  keys @3 :List(Data);            # key suffixes, ascending
  versions @4 :List(Data);        # conflict.capnp ItemVersion of each key (tombstones too)
  done @5 :Bool;                  # no more keys after the last one
  tableItems @6 :UInt64;          # the table's live items at the peer (progress estimates)
}

# Anti-entropy: per-table digests over 256 hash ranges (the first byte of hash64(pk)), a
# two-level Merkle tree; request/reply on meridian.<cluster>.digest.<region>.
struct DigestRequest {
  requester @0 :UInt32;
  table @1 :Text;
}

struct DigestReply {
  table @0 :Text;
  found @1 :Bool;
  vector @2 :Conflict.VersionVector;  # the replier's applied vector at the digest's snapshot
  buckets @3 :List(UInt64);       # 256 digests, one per hash range
}
