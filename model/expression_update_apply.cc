// Applying a parsed UpdateExpression to an item, with DynamoDB's semantics:
//  - every SET value is computed from the item as it was before the update;
//  - list indexes refer to the original list: REMOVE a[1], a[3] removes both original
//    elements, SET past the end appends (in index order), then the list is compacted;
//  - ADD to a missing attribute stores the operand; DELETE emptying a set removes it;
//  - on any error the item is left untouched.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/expression_ast.h"

namespace meridian::model::expr {
namespace {

constexpr char kMissingAttribute[] =
    "The provided expression refers to an attribute that does not exist in the item";
constexpr char kWrongType[] = "An operand in the update expression has an incorrect data type";
constexpr char kLegacyWrongType[] =
    "One or more parameter values were invalid: Type mismatch for attribute to update";
constexpr char kInvalidPath[] =
    "The document path provided in the update expression is invalid for update";

using MaybeValue = std::optional<AttributeValue>;

// Evaluates a SET operand; a missing path yields nullopt, and only operators complain about
// missing or mistyped operands.
Result<MaybeValue> EvaluateSetOperand(const Operand& op, const Item& item, const char* wrong_type) {
  switch (op.kind) {
    case Operand::Kind::kPath: {
      const AttributeValue* v = FindPath(item, op.path);
      return v != nullptr ? MaybeValue(*v) : MaybeValue();
    }
    case Operand::Kind::kValue: return MaybeValue(op.value);
    default: break;
  }
  std::vector<MaybeValue> args;
  for (const Operand& arg : op.args) {
    auto v = EvaluateSetOperand(arg, item, wrong_type);
    if (!v.ok()) return v.status();
    args.push_back(std::move(v).value());
  }
  if (op.kind == Operand::Kind::kFunction && op.function == "if_not_exists") {
    if (!args[1]) return Status::InvalidArgument(kMissingAttribute);
    return args[0] ? std::move(args[0]) : std::move(args[1]);
  }
  AttrType want = op.kind == Operand::Kind::kFunction ? AttrType::kL : AttrType::kN;
  for (const MaybeValue& arg : args) {
    if (!arg) return Status::InvalidArgument(kMissingAttribute);
    if (arg->type() != want) return Status::InvalidArgument(wrong_type);
  }
  if (want == AttrType::kL) {
    AttributeValue::List joined = args[0]->l();
    joined.insert(joined.end(), args[1]->l().begin(), args[1]->l().end());
    return MaybeValue(AttributeValue::L(std::move(joined)));
  }
  auto n = op.kind == Operand::Kind::kPlus ? args[0]->n().Add(args[1]->n())
                                           : args[0]->n().Subtract(args[1]->n());
  if (!n.ok()) return n.status();
  return MaybeValue(AttributeValue::N(std::move(n).value()));
}

AttributeValue SetUnion(const AttributeValue& a, const AttributeValue& b) {
  switch (a.type()) {
    case AttrType::kNS: {
      std::vector<Number> all = a.ns();
      all.insert(all.end(), b.ns().begin(), b.ns().end());
      return AttributeValue::NS(std::move(all));
    }
    case AttrType::kSS: {
      std::vector<std::string> all = a.ss();
      all.insert(all.end(), b.ss().begin(), b.ss().end());
      return AttributeValue::SS(std::move(all));
    }
    default: {
      std::vector<std::string> all = a.bs();
      all.insert(all.end(), b.bs().begin(), b.bs().end());
      return AttributeValue::BS(std::move(all));
    }
  }
}

// a minus b; nullopt when nothing is left.
MaybeValue SetDifference(const AttributeValue& a, const AttributeValue& b) {
  if (a.type() == AttrType::kNS) {
    std::vector<Number> left;
    for (const Number& n : a.ns()) {
      if (std::find(b.ns().begin(), b.ns().end(), n) == b.ns().end()) left.push_back(n);
    }
    if (left.empty()) return std::nullopt;
    return AttributeValue::NS(std::move(left));
  }
  const std::vector<std::string>& remove = a.type() == AttrType::kSS ? b.ss() : b.bs();
  std::vector<std::string> left;
  for (const std::string& s : a.type() == AttrType::kSS ? a.ss() : a.bs()) {
    if (!std::binary_search(remove.begin(), remove.end(), s)) left.push_back(s);
  }
  if (left.empty()) return std::nullopt;
  return a.type() == AttrType::kSS ? AttributeValue::SS(std::move(left))
                                   : AttributeValue::BS(std::move(left));
}

struct TreeNode {
  int action = -1;  // a leaf: index of the action writing this path
  std::map<std::string, TreeNode> names;
  std::map<int, TreeNode> indexes;
};

class Applier {
 public:
  Applier(const UpdateNode& update, std::vector<MaybeValue> set_values)
      : update_(update), set_values_(std::move(set_values)) {}

  Status ApplyToMap(const TreeNode& node, AttributeValue::Map& map) {
    if (!node.indexes.empty()) return Status::InvalidArgument(kInvalidPath);
    for (const auto& [name, child] : node.names) {
      auto it = map.find(name);
      AttributeValue* old = it != map.end() ? &it->second : nullptr;
      if (child.action < 0) {
        if (old == nullptr) return Status::InvalidArgument(kInvalidPath);
        MERIDIAN_RETURN_IF_ERROR(ApplyToValue(child, *old));
        continue;
      }
      auto result = LeafResult(child.action, old);
      if (!result.ok()) return result.status();
      if (result.value()) {
        map.insert_or_assign(name, std::move(*result.value()));
      } else if (old != nullptr) {
        map.erase(it);
      }
    }
    return Status::Ok();
  }

 private:
  Status ApplyToValue(const TreeNode& node, AttributeValue& value) {
    if (!node.names.empty()) {
      if (value.type() != AttrType::kM) return Status::InvalidArgument(kInvalidPath);
      return ApplyToMap(node, value.mutable_m());
    }
    if (value.type() != AttrType::kL) return Status::InvalidArgument(kInvalidPath);
    return ApplyToList(node, value.mutable_l());
  }

  Status ApplyToList(const TreeNode& node, AttributeValue::List& list) {
    std::vector<MaybeValue> slots;
    slots.reserve(list.size());
    for (AttributeValue& v : list) slots.emplace_back(std::move(v));
    std::vector<AttributeValue> appended;  // writes past the end, in index order
    Status status = Status::Ok();
    for (const auto& [index, child] : node.indexes) {
      size_t i = static_cast<size_t>(index);
      AttributeValue* old = i < slots.size() && slots[i] ? &*slots[i] : nullptr;
      if (child.action < 0) {
        if (old == nullptr) {
          status = Status::InvalidArgument(kInvalidPath);
          break;
        }
        status = ApplyToValue(child, *old);
        if (!status.ok()) break;
        continue;
      }
      auto result = LeafResult(child.action, old);
      if (!result.ok()) {
        status = result.status();
        break;
      }
      if (i < slots.size()) {
        slots[i] = std::move(result).value();
      } else if (result.value()) {
        appended.push_back(std::move(*result.value()));
      }
    }
    // Put the list back together; on error the caller discards the whole copy anyway.
    list.clear();
    for (MaybeValue& slot : slots) {
      if (slot) list.push_back(std::move(*slot));
    }
    for (AttributeValue& v : appended) list.push_back(std::move(v));
    return status;
  }

  Result<MaybeValue> LeafResult(int action_index, const AttributeValue* old) {
    const UpdateAction& action = update_.actions[static_cast<size_t>(action_index)];
    const AttributeValue& operand = action.value.value;
    switch (action.kind) {
      case UpdateAction::Kind::kSet: return set_values_[static_cast<size_t>(action_index)];
      case UpdateAction::Kind::kRemove: return MaybeValue();
      case UpdateAction::Kind::kAdd: {
        if (old == nullptr) return MaybeValue(operand);
        if (old->type() != operand.type()) return Status::InvalidArgument(WrongType());
        if (operand.type() != AttrType::kN) return MaybeValue(SetUnion(*old, operand));
        auto sum = old->n().Add(operand.n());
        if (!sum.ok()) return sum.status();
        return MaybeValue(AttributeValue::N(std::move(sum).value()));
      }
      case UpdateAction::Kind::kDelete:
        if (old == nullptr) return MaybeValue();
        if (old->type() != operand.type()) return Status::InvalidArgument(WrongType());
        return SetDifference(*old, operand);
    }
    return MaybeValue();
  }

  const char* WrongType() const {
    return update_.attribute_updates ? kLegacyWrongType : kWrongType;
  }

  const UpdateNode& update_;
  std::vector<MaybeValue> set_values_;
};

}  // namespace

Result<Item> ApplyUpdate(const UpdateNode& update, Item item) {
  std::vector<MaybeValue> set_values(update.actions.size());
  TreeNode root;
  for (size_t i = 0; i < update.actions.size(); ++i) {
    const UpdateAction& action = update.actions[i];
    if (action.kind == UpdateAction::Kind::kSet) {
      auto value = EvaluateSetOperand(action.value, item,
                                      update.attribute_updates ? kLegacyWrongType : kWrongType);
      if (!value.ok()) return value.status();
      if (!value.value()) return Status::InvalidArgument(kMissingAttribute);
      set_values[i] = std::move(value).value();
    }
    TreeNode* node = &root;
    for (const PathElement& e : action.target.path) {
      node = e.is_index() ? &node->indexes[e.index] : &node->names[e.name];
    }
    node->action = static_cast<int>(i);
  }
  // Every SET value is computed: the item itself may change now.
  Applier applier(update, std::move(set_values));
  MERIDIAN_RETURN_IF_ERROR(applier.ApplyToMap(root, item));
  return item;
}

Status ApplyUpdate(const UpdateNode& update, Item* item) {
  auto updated = ApplyUpdate(update, *item);
  if (!updated.ok()) return updated.status();
  *item = std::move(updated).value();
  return Status::Ok();
}

}  // namespace meridian::model::expr
