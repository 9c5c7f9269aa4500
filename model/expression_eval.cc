// Evaluation of conditions against an item, and projection of an item onto document paths.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/base64.h"
#include "model/expression_ast.h"

namespace meridian::model::expr {

const AttributeValue* FindPath(const Item& item, const Path& path) {
  if (path.empty() || path[0].is_index()) return nullptr;
  auto it = item.find(path[0].name);
  if (it == item.end()) return nullptr;
  const AttributeValue* v = &it->second;
  for (size_t i = 1; i < path.size(); ++i) {
    const PathElement& e = path[i];
    if (e.is_index()) {
      if (v->type() != AttrType::kL || static_cast<size_t>(e.index) >= v->l().size()) {
        return nullptr;
      }
      v = &v->l()[static_cast<size_t>(e.index)];
    } else {
      if (v->type() != AttrType::kM) return nullptr;
      auto child = v->m().find(e.name);
      if (child == v->m().end()) return nullptr;
      v = &child->second;
    }
  }
  return v;
}

int CompareScalars(const AttributeValue& a, const AttributeValue& b) {
  if (a.type() == AttrType::kN) {
    auto order = a.n() <=> b.n();
    return order < 0 ? -1 : order > 0 ? 1 : 0;
  }
  // S and B both compare as unsigned bytes (for UTF-8 that is also code point order).
  const std::string& x = a.type() == AttrType::kS ? a.s() : a.b();
  const std::string& y = b.type() == AttrType::kS ? b.s() : b.b();
  size_t n = std::min(x.size(), y.size());
  int c = n == 0 ? 0 : std::memcmp(x.data(), y.data(), n);
  if (c != 0) return c < 0 ? -1 : 1;
  return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
}

namespace {

// The value of an operand: either a pointer into the item / expression, or a computed value.
class OperandValue {
 public:
  OperandValue() = default;
  explicit OperandValue(const AttributeValue* p) : ptr_(p) {}
  explicit OperandValue(AttributeValue owned) : owned_(std::move(owned)), has_owned_(true) {}
  const AttributeValue* get() const { return has_owned_ ? &owned_ : ptr_; }

 private:
  const AttributeValue* ptr_ = nullptr;
  AttributeValue owned_;
  bool has_owned_ = false;
};

// Length of a string as size() reports it: UTF-16 code units, as DynamoDB counts.
size_t Utf16Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;  // one per code point ...
    if (c >= 0xF0) ++n;           // ... and a second for those outside the BMP
  }
  return n;
}

std::optional<size_t> SizeOf(const AttributeValue& v) {
  switch (v.type()) {
    case AttrType::kS: return Utf16Length(v.s());
    case AttrType::kB: return v.b().size();
    case AttrType::kSS:
    case AttrType::kNS:
    case AttrType::kBS: return v.set_size();
    case AttrType::kL: return v.l().size();
    case AttrType::kM: return v.m().size();
    default: return std::nullopt;
  }
}

OperandValue Evaluate(const Operand& op, const Item& item) {
  switch (op.kind) {
    case Operand::Kind::kPath: return OperandValue(FindPath(item, op.path));
    case Operand::Kind::kValue: return OperandValue(&op.value);
    case Operand::Kind::kFunction: {
      // Only size() is an operand in conditions (enforced at parse time).
      if (op.function != "size" || op.args.size() != 1) return OperandValue();
      OperandValue arg = Evaluate(op.args[0], item);
      if (arg.get() == nullptr) return OperandValue();
      std::optional<size_t> size = SizeOf(*arg.get());
      if (!size) return OperandValue();
      auto n = Number::Parse(std::to_string(*size));
      return n.ok() ? OperandValue(AttributeValue::N(*n)) : OperandValue();
    }
    default: return OperandValue();
  }
}

bool Equal(const AttributeValue* a, const AttributeValue* b) {
  return a != nullptr && b != nullptr && *a == *b;
}

bool Ordered(const AttributeValue* a, const AttributeValue* b) {
  return a != nullptr && b != nullptr && a->type() == b->type() && a->is_scalar_key_type();
}

bool Compare(CompareOp op, const AttributeValue* a, const AttributeValue* b) {
  switch (op) {
    case CompareOp::kEq: return Equal(a, b);
    case CompareOp::kNe: return !Equal(a, b);
    default: break;
  }
  if (!Ordered(a, b)) return false;
  int c = CompareScalars(*a, *b);
  switch (op) {
    case CompareOp::kLt: return c < 0;
    case CompareOp::kLe: return c <= 0;
    case CompareOp::kGt: return c > 0;
    default: return c >= 0;
  }
}

bool Contains(const AttributeValue* a, const AttributeValue* b) {
  if (a == nullptr || b == nullptr) return false;
  switch (a->type()) {
    case AttrType::kS:
    case AttrType::kB: {
      if (b->type() != a->type()) return false;
      const std::string& hay = a->type() == AttrType::kS ? a->s() : a->b();
      const std::string& needle = b->type() == AttrType::kS ? b->s() : b->b();
      return hay.find(needle) != std::string::npos;
    }
    case AttrType::kL:
      for (const AttributeValue& e : a->l()) {
        if (e == *b) return true;
      }
      return false;
    case AttrType::kSS:
      return b->type() == AttrType::kS &&
             std::binary_search(a->ss().begin(), a->ss().end(), b->s());
    case AttrType::kBS:
      return b->type() == AttrType::kB &&
             std::binary_search(a->bs().begin(), a->bs().end(), b->b());
    case AttrType::kNS:
      if (b->type() != AttrType::kN) return false;
      for (const Number& n : a->ns()) {
        if (n == b->n()) return true;
      }
      return false;
    default: return false;
  }
}

bool BeginsWith(const AttributeValue* a, const AttributeValue* b) {
  if (a == nullptr || b == nullptr || a->type() != b->type()) return false;
  if (a->type() != AttrType::kS && a->type() != AttrType::kB) return false;
  const std::string& s = a->type() == AttrType::kS ? a->s() : a->b();
  const std::string& prefix = b->type() == AttrType::kS ? b->s() : b->b();
  return s.compare(0, prefix.size(), prefix) == 0 && s.size() >= prefix.size();
}

bool EvaluateFunction(const ConditionNode& node, const Item& item) {
  const std::string& f = node.function;
  OperandValue first = Evaluate(node.operands[0], item);
  if (f == "attribute_exists") return first.get() != nullptr;
  if (f == "attribute_not_exists") return first.get() == nullptr;
  OperandValue second = Evaluate(node.operands[1], item);
  if (f == "attribute_type") {
    return first.get() != nullptr && second.get() != nullptr &&
           second.get()->type() == AttrType::kS &&
           second.get()->s() == TypeName(first.get()->type());
  }
  if (f == "begins_with") return BeginsWith(first.get(), second.get());
  if (f == "contains") return Contains(first.get(), second.get());
  return false;
}

bool EvaluateNode(const ConditionNode& node, const Item& item) {
  switch (node.kind) {
    case ConditionNode::Kind::kAnd:
      return EvaluateNode(*node.children[0], item) && EvaluateNode(*node.children[1], item);
    case ConditionNode::Kind::kOr:
      return EvaluateNode(*node.children[0], item) || EvaluateNode(*node.children[1], item);
    case ConditionNode::Kind::kNot: return !EvaluateNode(*node.children[0], item);
    case ConditionNode::Kind::kFunction: return EvaluateFunction(node, item);
    case ConditionNode::Kind::kCompare: {
      OperandValue a = Evaluate(node.operands[0], item);
      OperandValue b = Evaluate(node.operands[1], item);
      return Compare(node.op, a.get(), b.get());
    }
    case ConditionNode::Kind::kBetween: {
      OperandValue x = Evaluate(node.operands[0], item);
      OperandValue low = Evaluate(node.operands[1], item);
      OperandValue high = Evaluate(node.operands[2], item);
      return Compare(CompareOp::kGe, x.get(), low.get()) &&
             Compare(CompareOp::kLe, x.get(), high.get());
    }
    case ConditionNode::Kind::kIn: {
      OperandValue x = Evaluate(node.operands[0], item);
      for (size_t i = 1; i < node.operands.size(); ++i) {
        OperandValue candidate = Evaluate(node.operands[i], item);
        if (Equal(x.get(), candidate.get())) return true;
      }
      return false;
    }
  }
  return false;
}

// ---- Projection ------------------------------------------------------------------------------

struct ProjectionNode {
  bool whole = false;  // the path ends here: take the whole value
  std::map<std::string, ProjectionNode> names;
  std::map<int, ProjectionNode> indexes;
};

std::optional<AttributeValue> ProjectValue(const AttributeValue& v, const ProjectionNode& node) {
  if (node.whole) return v;
  if (v.type() == AttrType::kM && !node.names.empty()) {
    AttributeValue::Map out;
    for (const auto& [name, child] : node.names) {
      auto it = v.m().find(name);
      if (it == v.m().end()) continue;
      if (auto projected = ProjectValue(it->second, child))
        out.emplace(name, std::move(*projected));
    }
    if (out.empty()) return std::nullopt;
    return AttributeValue::M(std::move(out));
  }
  if (v.type() == AttrType::kL && !node.indexes.empty()) {
    AttributeValue::List out;
    for (const auto& [index, child] : node.indexes) {
      if (static_cast<size_t>(index) >= v.l().size()) break;
      if (auto projected = ProjectValue(v.l()[static_cast<size_t>(index)], child)) {
        out.push_back(std::move(*projected));
      }
    }
    if (out.empty()) return std::nullopt;
    return AttributeValue::L(std::move(out));
  }
  return std::nullopt;
}

}  // namespace

std::string ValueForMessage(const AttributeValue& value) {
  std::string body;
  switch (value.type()) {
    case AttrType::kS: body = value.s(); break;
    case AttrType::kN: body = value.n().ToString(); break;
    case AttrType::kB: body = Base64Encode(value.b()); break;
    case AttrType::kBool: body = value.boolean() ? "true" : "false"; break;
    case AttrType::kNull: body = "true"; break;
    default: break;
  }
  return std::string("{") + TypeName(value.type()) + ":" + body + "}";
}

Result<bool> EvaluateCondition(const ConditionNode& cond, const Item& item) {
  return EvaluateNode(cond, item);
}

Item Project(const Item& item, const std::vector<Path>& paths) {
  ProjectionNode root;
  for (const Path& path : paths) {
    if (path.empty() || path[0].is_index()) continue;
    ProjectionNode* node = &root;
    for (const PathElement& e : path) {
      node = e.is_index() ? &node->indexes[e.index] : &node->names[e.name];
    }
    node->whole = true;
  }
  Item out;
  for (const auto& [name, child] : root.names) {
    auto it = item.find(name);
    if (it == item.end()) continue;
    if (auto projected = ProjectValue(it->second, child)) out.emplace(name, std::move(*projected));
  }
  return out;
}

namespace {
void CollectOperandPaths(const Operand& op, std::vector<Path>* out) {
  if (op.kind == Operand::Kind::kPath) out->push_back(op.path);
  for (const auto& arg : op.args) CollectOperandPaths(arg, out);
}
void CollectConditionPaths(const ConditionNode& cond, std::vector<Path>* out) {
  for (const auto& op : cond.operands) CollectOperandPaths(op, out);
  for (const auto& child : cond.children) CollectConditionPaths(*child, out);
}
}  // namespace

std::vector<Path> ConditionPaths(const ConditionNode& cond) {
  std::vector<Path> out;
  CollectConditionPaths(cond, &out);
  return out;
}

}  // namespace meridian::model::expr
