// DynamoDB's UpdateItem semantics on a plain item: the LWW policy's whole behaviour, the
// validation step of the merge policy, and the reference its CRDT state must reproduce.
#include <algorithm>
#include <string_view>
#include <utility>

#include "conflict/local_write.h"

namespace meridian::conflict {
namespace {

using model::AttributeValue;
using model::AttrType;

constexpr char kWrongOperand[] = "An operand in the update expression has an incorrect data type";

Status CheckSetOperand(const AttributeOp& op) {
  if (!op.value.is_set()) return Status::InvalidArgument(kWrongOperand);
  if (op.value.set_size() == 0) {
    return Status::InvalidArgument(
        "One or more parameter values were invalid: An set may not be empty");
  }
  return Status::Ok();
}

AttributeValue MakeSet(AttrType type, std::vector<std::string> strings,
                       std::vector<model::Number> numbers) {
  if (type == AttrType::kNS) return AttributeValue::NS(std::move(numbers));
  if (type == AttrType::kBS) return AttributeValue::BS(std::move(strings));
  return AttributeValue::SS(std::move(strings));
}

// a ∪ b or a \ b for two sets of one type (both sorted and unique, as the factories keep them).
AttributeValue CombineSets(const AttributeValue& a, const AttributeValue& b, bool unite) {
  std::vector<std::string> strings;
  std::vector<model::Number> numbers;
  if (a.type() == AttrType::kNS) {
    if (unite) {
      std::set_union(a.ns().begin(), a.ns().end(), b.ns().begin(), b.ns().end(),
                     std::back_inserter(numbers));
    } else {
      std::set_difference(a.ns().begin(), a.ns().end(), b.ns().begin(), b.ns().end(),
                          std::back_inserter(numbers));
    }
  } else {
    const auto& x = a.type() == AttrType::kSS ? a.ss() : a.bs();
    const auto& y = b.type() == AttrType::kSS ? b.ss() : b.bs();
    if (unite) {
      std::set_union(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(strings));
    } else {
      std::set_difference(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(strings));
    }
  }
  return MakeSet(a.type(), std::move(strings), std::move(numbers));
}

Status ApplyOne(const AttributeOp& op, model::Item* item) {
  auto it = item->find(op.name);
  switch (op.kind) {
    case AttributeOp::Kind::kSet:
      if (op.value.is_set() && op.value.set_size() == 0) return CheckSetOperand(op);
      item->insert_or_assign(op.name, op.value);
      return Status::Ok();
    case AttributeOp::Kind::kRemove:
      if (it != item->end()) item->erase(it);
      return Status::Ok();
    case AttributeOp::Kind::kCounterAdd: {
      if (op.value.type() != AttrType::kN) return Status::InvalidArgument(kWrongOperand);
      if (it == item->end()) {
        item->emplace(op.name, op.value);
        return Status::Ok();
      }
      if (it->second.type() != AttrType::kN) return Status::InvalidArgument(kWrongOperand);
      Result<model::Number> sum = it->second.n().Add(op.value.n());
      if (!sum.ok()) return sum.status();
      it->second = AttributeValue::N(std::move(sum).value());
      return Status::Ok();
    }
    case AttributeOp::Kind::kSetAdd:
    case AttributeOp::Kind::kSetRemove: {
      MERIDIAN_RETURN_IF_ERROR(CheckSetOperand(op));
      const bool add = op.kind == AttributeOp::Kind::kSetAdd;
      if (it == item->end()) {
        if (add) item->emplace(op.name, op.value);
        return Status::Ok();
      }
      if (it->second.type() != op.value.type()) return Status::InvalidArgument(kWrongOperand);
      AttributeValue combined = CombineSets(it->second, op.value, add);
      if (combined.set_size() == 0) {
        item->erase(it);
      } else {
        it->second = std::move(combined);
      }
      return Status::Ok();
    }
  }
  return Status::Internal("unknown attribute op");
}

}  // namespace

AttributeOp AttributeOp::Set(std::string name, model::AttributeValue value) {
  return {Kind::kSet, std::move(name), std::move(value)};
}
AttributeOp AttributeOp::Remove(std::string name) {
  return {Kind::kRemove, std::move(name), model::AttributeValue()};
}
AttributeOp AttributeOp::CounterAdd(std::string name, model::Number delta) {
  return {Kind::kCounterAdd, std::move(name), model::AttributeValue::N(std::move(delta))};
}
AttributeOp AttributeOp::SetAdd(std::string name, model::AttributeValue elements) {
  return {Kind::kSetAdd, std::move(name), std::move(elements)};
}
AttributeOp AttributeOp::SetRemove(std::string name, model::AttributeValue elements) {
  return {Kind::kSetRemove, std::move(name), std::move(elements)};
}

LocalWrite LocalWrite::Put(model::Item item) {
  LocalWrite w;
  w.kind = Kind::kPut;
  w.item = std::move(item);
  return w;
}
LocalWrite LocalWrite::Delete() {
  LocalWrite w;
  w.kind = Kind::kDelete;
  return w;
}
LocalWrite LocalWrite::Update(model::Item key, std::vector<AttributeOp> ops) {
  LocalWrite w;
  w.kind = Kind::kUpdate;
  w.key = std::move(key);
  w.ops = std::move(ops);
  return w;
}

Status ApplyUpdateToItem(const std::vector<AttributeOp>& ops, model::Item* item) {
  std::vector<std::string_view> names;
  names.reserve(ops.size());
  for (const AttributeOp& op : ops) names.push_back(op.name);
  std::sort(names.begin(), names.end());
  if (auto dup = std::adjacent_find(names.begin(), names.end()); dup != names.end()) {
    return Status::InvalidArgument(
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
        "rewrite one of these paths; path one: [" +
        std::string(*dup) + "], path two: [" + std::string(*dup) + "]");
  }
  for (const AttributeOp& op : ops) MERIDIAN_RETURN_IF_ERROR(ApplyOne(op, item));
  return Status::Ok();
}

}  // namespace meridian::conflict
