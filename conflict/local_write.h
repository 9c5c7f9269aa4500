// Building a new version from a write accepted in this region (PutItem, DeleteItem,
// UpdateItem after its condition passed). The API layer evaluates update expressions down
// to per-top-level-attribute operations; this file turns them into the next version under
// the table's policy, so that the visible item is what DynamoDB would show and the CRDT
// state records enough for concurrent writes elsewhere to merge (docs/conflicts.md).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "conflict/hlc.h"
#include "conflict/item_version.h"
#include "conflict/version_vector.h"
#include "model/attribute_value.h"

namespace meridian::conflict {

// One UpdateItem action on a top-level attribute.
struct AttributeOp {
  enum class Kind : uint8_t {
    kSet,         // SET name = value. Nested paths (SET a.b = v, list_append, a = a + 1)
                  // arrive as a Set of the whole new top-level value: a register write.
    kRemove,      // REMOVE name
    kCounterAdd,  // ADD name :number   (value: N, the delta)
    kSetAdd,      // ADD name :set      (value: SS, NS or BS, non-empty)
    kSetRemove,   // DELETE name :set   (value: SS, NS or BS, non-empty)
  };
  Kind kind = Kind::kSet;
  std::string name;
  model::AttributeValue value;

  static AttributeOp Set(std::string name, model::AttributeValue value);
  static AttributeOp Remove(std::string name);
  static AttributeOp CounterAdd(std::string name, model::Number delta);
  static AttributeOp SetAdd(std::string name, model::AttributeValue elements);
  static AttributeOp SetRemove(std::string name, model::AttributeValue elements);
};

struct LocalWrite {
  enum class Kind : uint8_t { kPut, kDelete, kUpdate };
  Kind kind = Kind::kPut;
  model::Item item;              // kPut: the whole new item, key included
  model::Item key;               // kUpdate: the key attributes
  std::vector<AttributeOp> ops;  // kUpdate: at most one op per attribute name

  static LocalWrite Put(model::Item item);
  static LocalWrite Delete();
  // `key` is re-asserted by every update, so an update concurrent with a delete elsewhere
  // leaves a well-formed item (key + updated attributes) under the merge policy.
  static LocalWrite Update(model::Item key, std::vector<AttributeOp> ops);
};

// DynamoDB's semantics of `ops` on a plain item, in place:
//   Set: replaces; Remove: erases (absent is fine); CounterAdd: absent -> delta, N -> sum;
//   SetAdd: absent -> the set, same set type -> union; SetRemove: absent -> no-op, same set
//   type -> difference, erased when it empties.
// InvalidArgument (item unchanged or partly changed; discard it) for two ops on one name,
// an operand of the wrong type ("An operand in the update expression has an incorrect
// data type"), an empty set operand, or a sum outside DynamoDB's number range.
Status ApplyUpdateToItem(const std::vector<AttributeOp>& ops, model::Item* item);

// The version a local write produces from `stored`, the item's current version (a default
// ItemVersion when it has never been written).
//
// `dot` is the write's (this region, change-log seq). The result's hlc is
// max(hlc, stored.hlc.Next()): a write always orders after what it overwrites, even when
// `stored` carries a timestamp from a clock that ran ahead (HybridLogicalClock refuses to
// adopt those). Its vector is stored.vector plus `dot`.
//
// REQUIRES (InvalidArgument otherwise): dot.seq > stored.vector.Get(dot.region);
// stored.policy == policy unless stored is unwritten.
// Errors: those of ApplyUpdateToItem; InvalidArgument when an update op names a key
// attribute. On error nothing was built; `stored` is never modified. `write` is taken by
// value: a caller done with it moves it in, and a put's item is not copied.
Result<ItemVersion> ApplyLocalWrite(const ItemVersion& stored, ConflictPolicy policy,
                                    LocalWrite write, Dot dot, Hlc hlc);

}  // namespace meridian::conflict
