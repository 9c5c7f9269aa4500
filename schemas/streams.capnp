# DynamoDB Streams records and stream metadata of one region (store/stream_registry.h,
# docs/streams.md). Local to the region: never shipped. Append-only field numbers.
@0x827e6aceec426d6e;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("meridian::schemas");

using Item = import "item.capnp";

enum StreamEvent { insert @0; modify @1; remove @2; }

# The value of one record in the `streams` column family, under
# tableId (4) | labelMs (8) | seq (8).
struct StreamRecord {
  event @0 :StreamEvent;
  timeMs @1 :UInt64;                    # when the change was applied in this region
  keys @2 :List(Item.Attribute);
  newImage @3 :List(Item.Attribute);    # as the stream's view type asks
  oldImage @4 :List(Item.Attribute);
  hasNewImage @5 :Bool;
  hasOldImage @6 :Bool;
  service @7 :Bool;                     # a TTL expiry (userIdentity dynamodb.amazonaws.com)
  sizeBytes @8 :UInt32;                 # DynamoDB's SizeBytes: keys and images
}

struct StreamShard {
  firstSeq @0 :UInt64;                  # StartingSequenceNumber
  lastSeq @1 :UInt64;                   # EndingSequenceNumber once closed
  closed @2 :Bool;
  createdMs @3 :UInt64;
  records @4 :UInt64;                   # records written to the shard
}

# meta column family, "stream/" tableId (4) | labelMs (8).
struct StreamMeta {
  tableId @0 :UInt32;
  tableName @1 :Text;
  labelMs @2 :UInt64;                   # StreamLabel (the time it was enabled)
  viewType @3 :Text;                    # KEYS_ONLY | NEW_IMAGE | OLD_IMAGE | NEW_AND_OLD_IMAGES
  partitionKey @4 :Text;                # KeySchema of the table
  partitionKeyType @5 :Text;
  sortKey @6 :Text;                     # empty: none
  sortKeyType @7 :Text;
  disabledMs @8 :UInt64;                # 0: enabled
  shards @9 :List(StreamShard);         # oldest first; the last one is open while enabled
  trimmedBefore @10 :UInt64;            # records with a smaller seq were trimmed
}
