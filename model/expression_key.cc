// KeyConditionExpression: parsed with the condition grammar, then restricted to the shapes a
// Query accepts ("pk = :v" optionally ANDed with one sort-key condition).
#include <set>
#include <string>
#include <vector>

#include "model/expression_ast.h"

namespace meridian::model::expr {
namespace {

Status KeyError(std::string message) { return Status::InvalidArgument(std::move(message)); }

// Collects the leaf conditions of an AND tree, rejecting everything a key condition cannot
// contain, with DynamoDB's wording and check order.
Status CollectKeyConditions(const ConditionNode& node, std::vector<const ConditionNode*>* out,
                            std::set<std::string>* keys) {
  using Kind = ConditionNode::Kind;
  switch (node.kind) {
    case Kind::kOr: return KeyError("Invalid operator used in KeyConditionExpression: OR");
    case Kind::kNot: return KeyError("Invalid operator used in KeyConditionExpression: NOT");
    case Kind::kIn: return KeyError("Invalid operator used in KeyConditionExpression: IN");
    case Kind::kAnd:
      for (const auto& child : node.children) {
        MERIDIAN_RETURN_IF_ERROR(CollectKeyConditions(*child, out, keys));
      }
      return Status::Ok();
    case Kind::kCompare:
      if (node.op == CompareOp::kNe) {
        return KeyError("Invalid operator used in KeyConditionExpression: <>");
      }
      break;
    case Kind::kFunction:
      if (node.function != "begins_with") {
        return KeyError("Invalid operator used in KeyConditionExpression: " + node.function);
      }
      [[fallthrough]];
    case Kind::kBetween:
      if (node.operands[0].kind != Operand::Kind::kPath) {
        return KeyError("Invalid condition in KeyConditionExpression: " +
                        std::string(node.kind == Kind::kBetween ? "BETWEEN" : "begins_with") +
                        " operator must have the key attribute as its first operand");
      }
      break;
  }
  const Operand* key = nullptr;
  for (const Operand& op : node.operands) {
    if (op.kind == Operand::Kind::kPath) {
      if (key != nullptr) {
        return KeyError(
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
            "condition");
      }
      if (op.path.size() > 1) {
        return KeyError("KeyConditionExpressions cannot have conditions on nested attributes");
      }
      key = &op;
    } else if (op.kind != Operand::Kind::kValue) {
      return KeyError("KeyConditionExpressions cannot contain nested operations");
    }
  }
  if (key == nullptr) {
    return KeyError("Invalid condition in KeyConditionExpression: No key attribute specified");
  }
  if (!keys->insert(key->path[0].name).second) {
    return KeyError("KeyConditionExpressions must only contain one condition per key");
  }
  out->push_back(&node);
  return Status::Ok();
}

// The condition as "<key> <op> <values>", with ":v < k" turned around into "k > :v".
SortKeyCondition ToSortKeyCondition(const ConditionNode& node) {
  SortKeyCondition sk;
  bool key_first = node.operands[0].kind == Operand::Kind::kPath;
  const Operand& key = key_first ? node.operands[0] : node.operands[1];
  sk.name = key.path[0].name;
  switch (node.kind) {
    case ConditionNode::Kind::kBetween:
      sk.op = KeyOp::kBetween;
      sk.value = node.operands[1].value;
      sk.value2 = node.operands[2].value;
      return sk;
    case ConditionNode::Kind::kFunction:
      sk.op = KeyOp::kBeginsWith;
      sk.value = node.operands[1].value;
      return sk;
    default: break;
  }
  sk.value = key_first ? node.operands[1].value : node.operands[0].value;
  switch (node.op) {
    case CompareOp::kLt: sk.op = key_first ? KeyOp::kLt : KeyOp::kGt; break;
    case CompareOp::kLe: sk.op = key_first ? KeyOp::kLe : KeyOp::kGe; break;
    case CompareOp::kGt: sk.op = key_first ? KeyOp::kGt : KeyOp::kLt; break;
    case CompareOp::kGe: sk.op = key_first ? KeyOp::kGe : KeyOp::kLe; break;
    default: sk.op = KeyOp::kEq; break;
  }
  return sk;
}

}  // namespace

Result<KeyCondition> ParseKeyCondition(std::string_view text, ExpressionContext& ctx) {
  auto tree = ParseConditionTree(text, "KeyConditionExpression", ctx);
  if (!tree.ok()) return tree.status();
  std::vector<const ConditionNode*> conditions;
  std::set<std::string> keys;
  MERIDIAN_RETURN_IF_ERROR(CollectKeyConditions(*tree.value(), &conditions, &keys));
  if (conditions.size() > 2) return KeyError("Conditions can be of length 1 or 2 only");

  std::vector<SortKeyCondition> parts;
  parts.reserve(conditions.size());
  for (const ConditionNode* node : conditions) parts.push_back(ToSortKeyCondition(*node));
  // The partition key condition is the (first) equality; the other one is the sort key's.
  size_t partition = parts.size();
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].op == KeyOp::kEq) {
      partition = i;
      break;
    }
  }
  KeyCondition result;
  if (partition == parts.size()) {
    if (parts.size() == 2) return KeyError("Query key condition not supported");
    result.sort = std::move(parts[0]);  // no equality: the caller reports the missing key
    return result;
  }
  result.partition_name = parts[partition].name;
  result.partition_value = parts[partition].value;
  if (parts.size() == 2) result.sort = std::move(parts[1 - partition]);
  return result;
}

}  // namespace meridian::model::expr
