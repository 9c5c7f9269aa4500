#include "conflict/local_write.h"

#include <algorithm>
#include <utility>

namespace meridian::conflict {
namespace {

using model::AttributeValue;
using model::AttrType;

// Every increment so far has been seen by this writer and is consumed.
void RaiseFloors(AttributeState* s) {
  for (CounterEntry& c : s->counters) {
    c.floor_seq = c.seq;
    c.floor_total = c.total;
  }
}

// REMOVE: drop every entry the writer saw (all of them: they are in its state) and consume
// every increment. Counter entries stay so that a concurrent increment from a region still
// counts only its unseen part when it arrives.
void ResetToRemoved(AttributeState* s) {
  s->registers.clear();
  s->elements.clear();
  RaiseFloors(s);
}

// An op on an attribute the writer sees as absent starts from scratch: whatever state is
// left (a set's type marker without members, increments hidden under it) was seen by the
// writer and is dropped, as by REMOVE. Otherwise the op acts on the state as it is: ADDs
// and DELETEs touch only their own members or counter entry, and entries hidden under the
// visible value stay until a SET or REMOVE that sees them.
void Normalize(AttributeState* s) {
  if (!AttributePresent(*s)) ResetToRemoved(s);
}

SetElement MakeElement(AttrType member_type, std::string bytes, model::Number number) {
  SetElement e;
  e.type = member_type;
  e.bytes = std::move(bytes);
  e.number = std::move(number);
  return e;
}

// The members of a set value as element keys, in canonical order.
std::vector<SetElement> Members(const AttributeValue& set) {
  std::vector<SetElement> out;
  if (set.type() == AttrType::kNS) {
    for (const model::Number& n : set.ns()) out.push_back(MakeElement(AttrType::kN, {}, n));
  } else {
    const AttrType member = MemberType(set.type());
    for (const std::string& s : set.type() == AttrType::kSS ? set.ss() : set.bs()) {
      out.push_back(MakeElement(member, s, {}));
    }
  }
  return out;
}

AttributeValue EmptySetOf(AttrType type) {
  if (type == AttrType::kNS) return AttributeValue::NS({});
  if (type == AttrType::kBS) return AttributeValue::BS({});
  return AttributeValue::SS({});
}

// SET name = value (also a PutItem's attribute).
void WriteRegister(AttributeState* s, const AttributeValue& value, Dot dot, Hlc hlc) {
  ResetToRemoved(s);
  if (value.is_set()) {
    s->registers.push_back({dot, hlc, EmptySetOf(value.type())});
    s->elements = Members(value);
    for (SetElement& e : s->elements) e.dots.assign(1, dot);
  } else {
    s->registers.push_back({dot, hlc, value});
  }
}

void AddToCounter(AttributeState* s, const model::Number& delta, Dot dot) {
  Normalize(s);
  auto it =
      std::lower_bound(s->counters.begin(), s->counters.end(), dot.region,
                       [](const CounterEntry& c, RegionId region) { return c.region < region; });
  if (it == s->counters.end() || it->region != dot.region) {
    it = s->counters.insert(it, CounterEntry{});
    it->region = dot.region;
  }
  it->seq = dot.seq;
  it->total = it->total.Plus(ExactDecimal::FromNumber(delta));
}

void UpdateMembers(AttributeState* s, const AttributeValue& members, bool add, Dot dot) {
  Normalize(s);
  for (SetElement& m : Members(members)) {
    auto it = std::lower_bound(s->elements.begin(), s->elements.end(), m, ElementLess);
    const bool found = it != s->elements.end() && !ElementLess(m, *it);
    if (add) {
      // The new add replaces the adds it saw: one dot per element after a local add.
      if (!found) it = s->elements.insert(it, std::move(m));
      it->dots.assign(1, dot);
    } else if (found) {
      s->elements.erase(it);
    }
  }
  // DELETE that empties the set leaves the attribute absent, as in DynamoDB: drop the rest
  // (a type marker, hidden members of other set types) so nothing else shows through.
  if (!add && std::none_of(s->elements.begin(), s->elements.end(), [&](const SetElement& e) {
        return e.type == MemberType(members.type());
      })) {
    ResetToRemoved(s);
  }
}

AttributeState* FindOrInsert(AttributeStates* states, const std::string& name) {
  auto it = std::lower_bound(states->begin(), states->end(), name,
                             [](const auto& a, const std::string& n) { return a.first < n; });
  if (it == states->end() || it->first != name) it = states->emplace(it, name, AttributeState{});
  return &it->second;
}

void ApplyOp(const AttributeOp& op, AttributeState* s, Dot dot, Hlc hlc) {
  switch (op.kind) {
    case AttributeOp::Kind::kSet: WriteRegister(s, op.value, dot, hlc); break;
    case AttributeOp::Kind::kRemove: ResetToRemoved(s); break;
    case AttributeOp::Kind::kCounterAdd: AddToCounter(s, op.value.n(), dot); break;
    case AttributeOp::Kind::kSetAdd:
    case AttributeOp::Kind::kSetRemove:
      UpdateMembers(s, op.value, op.kind == AttributeOp::Kind::kSetAdd, dot);
      break;
  }
}

// The merge policy: the write as CRDT operations on a copy of the stored state.
Status BuildMergeState(const ItemVersion& stored, const LocalWrite& write, ItemVersion* out) {
  out->attributes = stored.attributes;
  AttributeStates& states = out->attributes;
  switch (write.kind) {
    case LocalWrite::Kind::kPut:
      for (auto& [name, state] : states) {
        if (!write.item.contains(name)) ResetToRemoved(&state);
      }
      for (const auto& [name, value] : write.item) {
        WriteRegister(FindOrInsert(&states, name), value, out->dot, out->hlc);
      }
      break;
    case LocalWrite::Kind::kDelete:
      for (auto& [name, state] : states) ResetToRemoved(&state);
      break;
    case LocalWrite::Kind::kUpdate: {
      // Validate against what the user sees, exactly as DynamoDB would.
      model::Item visible = Materialize(stored);
      for (const auto& [name, value] : write.key) visible.insert_or_assign(name, value);
      MERIDIAN_RETURN_IF_ERROR(ApplyUpdateToItem(write.ops, &visible));
      for (const auto& [name, value] : write.key) {
        WriteRegister(FindOrInsert(&states, name), value, out->dot, out->hlc);
      }
      for (const AttributeOp& op : write.ops) {
        ApplyOp(op, FindOrInsert(&states, op.name), out->dot, out->hlc);
      }
      break;
    }
  }
  std::erase_if(states, [](const auto& a) { return a.second.empty(); });
  out->tombstone = !AnyAttributePresent(states);
  return Status::Ok();
}

Status BuildLwwItem(const ItemVersion& stored, LocalWrite& write, ItemVersion* out) {
  switch (write.kind) {
    case LocalWrite::Kind::kPut: out->item = std::move(write.item); break;
    case LocalWrite::Kind::kDelete: break;
    case LocalWrite::Kind::kUpdate:
      out->item = stored.item;
      for (const auto& [name, value] : write.key) out->item.insert_or_assign(name, value);
      MERIDIAN_RETURN_IF_ERROR(ApplyUpdateToItem(write.ops, &out->item));
      break;
  }
  out->tombstone = out->item.empty();
  return Status::Ok();
}

}  // namespace

Result<ItemVersion> ApplyLocalWrite(const ItemVersion& stored, ConflictPolicy policy,
                                    LocalWrite write, Dot dot, Hlc hlc) {
  if (!dot.valid() || dot.seq <= stored.vector.Get(dot.region)) {
    return Status::InvalidArgument("local write dot " + dot.ToString() +
                                   " is not newer than the stored version " +
                                   stored.vector.ToString());
  }
  if (stored.written() && stored.policy != policy) {
    return Status::InvalidArgument(std::string("stored version has policy ") +
                                   PolicyName(stored.policy) + ", table has " + PolicyName(policy));
  }
  if (write.kind == LocalWrite::Kind::kUpdate) {
    for (const AttributeOp& op : write.ops) {
      if (write.key.contains(op.name)) {
        return Status::InvalidArgument("Cannot update attribute " + op.name +
                                       ". This attribute is part of the key");
      }
    }
  }
  ItemVersion out;
  out.policy = policy;
  out.vector = stored.vector;
  out.vector.Add(dot);
  out.dot = dot;
  out.hlc = stored.written() ? std::max(hlc, stored.hlc.Next()) : hlc;
  Status st = policy == ConflictPolicy::kLww ? BuildLwwItem(stored, write, &out)
                                             : BuildMergeState(stored, write, &out);
  if (!st.ok()) return st;
  return out;
}

}  // namespace meridian::conflict
