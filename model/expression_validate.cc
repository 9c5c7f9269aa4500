// Checks shared by the condition, update and projection parsers: placeholder resolution,
// reserved words, operand counts and types of functions and operators, and document-path
// overlaps. The messages are DynamoDB's.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/expression_ast.h"

namespace meridian::model::expr {
namespace {

constexpr TypeMask kStringOrBinary =
    (1u << static_cast<int>(AttrType::kS)) | (1u << static_cast<int>(AttrType::kB));
constexpr TypeMask kSizable =
    kStringOrBinary | (1u << static_cast<int>(AttrType::kSS)) |
    (1u << static_cast<int>(AttrType::kNS)) | (1u << static_cast<int>(AttrType::kBS)) |
    (1u << static_cast<int>(AttrType::kL)) | (1u << static_cast<int>(AttrType::kM));

struct FunctionInfo {
  std::string_view name;
  size_t operands;
  TypeMask operand_types;
  // DynamoDB checks "first operand must be distinct" only for functions that tolerate a
  // missing operand (everything but list_append and arithmetic).
  bool distinct_operands;
  bool requires_path;  // first operand must be a document path
};

const FunctionInfo* FindFunction(std::string_view name) {
  static const FunctionInfo kFunctions[] = {
      {"attribute_exists", 1, kAllTypes, true, true},
      {"attribute_not_exists", 1, kAllTypes, true, true},
      {"attribute_type", 2, kAllTypes, true, false},
      {"begins_with", 2, kStringOrBinary, true, false},
      {"contains", 2, kAllTypes, true, false},
      {"size", 1, kSizable, true, false},
      {"if_not_exists", 2, kAllTypes, true, true},
      {"list_append", 2, MaskOf(AttrType::kL), false, false},
      {"+", 2, MaskOf(AttrType::kN), false, false},
      {"-", 2, MaskOf(AttrType::kN), false, false},
  };
  for (const FunctionInfo& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

TypeMask MaskOf(AttrType type) { return 1u << static_cast<int>(type); }

TypeMask PossibleTypes(const Operand& operand) {
  switch (operand.kind) {
    case Operand::Kind::kPath: return kAllTypes;
    case Operand::Kind::kValue: return MaskOf(operand.value.type());
    case Operand::Kind::kPlus:
    case Operand::Kind::kMinus: return MaskOf(AttrType::kN);
    case Operand::Kind::kFunction:
      if (operand.function == "size") return MaskOf(AttrType::kN);
      if (operand.function == "list_append") return MaskOf(AttrType::kL);
      if (operand.function == "if_not_exists") return kAllTypes;
      return MaskOf(AttrType::kBool);
  }
  return kAllTypes;
}

std::string TypeMaskName(TypeMask mask) {
  for (int t = 0; t < 10; ++t) {
    if (mask == (1u << t)) return TypeName(static_cast<AttrType>(t));
  }
  return "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}";
}

Status CheckOperandType(const Validator& v, std::string_view op, const Operand& operand,
                        TypeMask allowed) {
  TypeMask possible = PossibleTypes(operand);
  if ((possible & allowed) != 0) return Status::Ok();
  return v.Error("Incorrect operand type for operator or function; operator or function: " +
                 std::string(op) + ", operand type: " + TypeMaskName(possible));
}

Status CheckDistinct(const Validator& v, std::string_view op, const std::vector<Operand>& ops) {
  if (ops.size() < 2 || ops[0].kind != Operand::Kind::kPath) return Status::Ok();
  for (size_t i = 1; i < ops.size(); ++i) {
    if (ops[i].kind == Operand::Kind::kPath && ops[i].path == ops[0].path) {
      return v.Error(
          "The first operand must be distinct from the remaining operands for this operator "
          "or function; operator: " +
          std::string(op) + ", first operand: " + PathToString(ops[0].path));
    }
  }
  return Status::Ok();
}

bool IsKnownFunction(std::string_view name) {
  return FindFunction(name) != nullptr && name != "+" && name != "-";
}

bool IsConditionFunction(std::string_view name) {
  return IsKnownFunction(name) && name != "if_not_exists" && name != "list_append";
}

// ---- Validator -----------------------------------------------------------------------------

Status Validator::CheckReserved(const Operand& operand) const {
  if (operand.kind == Operand::Kind::kPath) {
    for (const RawPathElement& e : operand.raw_path) {
      if (e.kind == RawPathElement::Kind::kName && IsReservedWord(e.text)) {
        return Error("Attribute name is a reserved keyword; reserved keyword: " + e.text);
      }
    }
  }
  for (const Operand& arg : operand.args) MERIDIAN_RETURN_IF_ERROR(CheckReserved(arg));
  return Status::Ok();
}

Status Validator::ResolvePath(Operand& operand) {
  if (operand.raw_path.size() > kMaxPathDepth) {
    return Error("The document path has too many nesting levels; nesting levels: " +
                 std::to_string(operand.raw_path.size()));
  }
  Path path;
  path.reserve(operand.raw_path.size());
  for (const RawPathElement& e : operand.raw_path) {
    PathElement element;
    switch (e.kind) {
      case RawPathElement::Kind::kName: element.name = e.text; break;
      case RawPathElement::Kind::kIndex: element.index = e.index; break;
      case RawPathElement::Kind::kNameRef: {
        const std::string* name = nullptr;
        if (ctx_.names != nullptr) {
          auto it = ctx_.names->find(e.text);
          if (it != ctx_.names->end()) name = &it->second;
        }
        if (name == nullptr) {
          return Error(
              "An expression attribute name used in the document path is not defined; "
              "attribute name: " +
              e.text);
        }
        ctx_.used_names.insert(e.text);
        element.name = *name;
        break;
      }
    }
    path.push_back(std::move(element));
  }
  operand.path = std::move(path);
  return Status::Ok();
}

Status Validator::Resolve(Operand& operand, bool names, bool values) {
  switch (operand.kind) {
    case Operand::Kind::kPath: return names ? ResolvePath(operand) : Status::Ok();
    case Operand::Kind::kValue: {
      if (!values) return Status::Ok();
      const AttributeValue* value = nullptr;
      if (ctx_.values != nullptr) {
        auto it = ctx_.values->find(operand.value_ref);
        if (it != ctx_.values->end()) value = &it->second;
      }
      if (value == nullptr) {
        return Error(
            "An expression attribute value used in expression is not defined; attribute "
            "value: " +
            operand.value_ref);
      }
      ctx_.used_values.insert(operand.value_ref);
      operand.value = *value;
      return Status::Ok();
    }
    default:
      for (Operand& arg : operand.args) MERIDIAN_RETURN_IF_ERROR(Resolve(arg, names, values));
      return Status::Ok();
  }
}

Status Validator::CheckCall(std::string_view name, const std::vector<Operand>& args) const {
  const FunctionInfo* f = FindFunction(name);
  if (f == nullptr) return Error("Invalid function name; function: " + std::string(name));
  if (args.size() != f->operands) {
    return Error("Incorrect number of operands for operator or function; operator or function: " +
                 std::string(name) + ", number of operands: " + std::to_string(args.size()));
  }
  for (const Operand& arg : args) {
    MERIDIAN_RETURN_IF_ERROR(CheckOperandType(*this, name, arg, f->operand_types));
  }
  if (f->distinct_operands) MERIDIAN_RETURN_IF_ERROR(CheckDistinct(*this, name, args));
  if (f->requires_path && args[0].kind != Operand::Kind::kPath) {
    return Error("Operator or function requires a document path; operator or function: " +
                 std::string(name));
  }
  if (name == "attribute_type") {
    const Operand& type = args[1];
    if (type.kind != Operand::Kind::kValue || type.value.type() != AttrType::kS) {
      return Error(
          "Incorrect operand type for operator or function; operator or function: "
          "attribute_type, operand type: " +
          TypeMaskName(PossibleTypes(type)));
    }
    static const char* const kTypeNames[] = {"S", "N", "B",  "BOOL", "NULL",
                                             "M", "L", "SS", "NS",   "BS"};
    bool valid = false;
    for (const char* t : kTypeNames) valid = valid || type.value.s() == t;
    if (!valid) {
      return Error("Invalid attribute type name found; type: " + type.value.s() +
                   ", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
    }
  }
  return Status::Ok();
}

Status Validator::CheckFunctions(const Operand& operand) const {
  for (const Operand& arg : operand.args) MERIDIAN_RETURN_IF_ERROR(CheckFunctions(arg));
  switch (operand.kind) {
    case Operand::Kind::kFunction: return CheckCall(operand.function, operand.args);
    case Operand::Kind::kPlus: return CheckCall("+", operand.args);
    case Operand::Kind::kMinus: return CheckCall("-", operand.args);
    default: return Status::Ok();
  }
}

int Validator::CountOperators(const Operand& operand) {
  bool leaf = operand.kind == Operand::Kind::kPath || operand.kind == Operand::Kind::kValue;
  int count = leaf ? 0 : 1;
  for (const Operand& arg : operand.args) count += CountOperators(arg);
  return count;
}

// ---- PathTree --------------------------------------------------------------------------------

// A node's children are all names or all indexes (a mix is a conflict); a leaf child is null.
struct PathTree::Node {
  std::map<std::string, std::unique_ptr<Node>> names;
  std::map<int, std::unique_ptr<Node>> indexes;
};

PathTree::PathTree() : root_(std::make_unique<Node>()) {}
PathTree::~PathTree() = default;

namespace {

// Appends the path down the first branch below `node` (DynamoDB names one existing path).
void AppendFirstBranch(const PathTree::Node* node, Path* out) {
  while (node != nullptr) {
    if (!node->names.empty()) {
      out->push_back(PathElement{node->names.begin()->first, -1});
      node = node->names.begin()->second.get();
    } else if (!node->indexes.empty()) {
      out->push_back(PathElement{"", node->indexes.begin()->first});
      node = node->indexes.begin()->second.get();
    } else {
      break;
    }
  }
}

}  // namespace

Status PathTree::Insert(const Validator& v, const Path& path) {
  Node* node = root_.get();
  for (size_t d = 0; d < path.size(); ++d) {
    const PathElement& e = path[d];
    std::unique_ptr<Node>* slot = nullptr;
    if (e.is_index()) {
      auto it = node->indexes.find(e.index);
      if (it != node->indexes.end()) slot = &it->second;
    } else {
      auto it = node->names.find(e.name);
      if (it != node->names.end()) slot = &it->second;
    }
    if (slot == nullptr) {
      bool mixed = e.is_index() ? !node->names.empty() : !node->indexes.empty();
      if (mixed) {
        Path other(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(d));
        AppendFirstBranch(node, &other);
        return v.Error(
            "Two document paths conflict with each other; must remove or rewrite one of these "
            "paths; path one: " +
            PathToString(path) + ", path two: " + PathToString(other));
      }
      // Add the rest of the path as a chain ending in a leaf.
      for (size_t k = d; k < path.size(); ++k) {
        std::unique_ptr<Node> child = k + 1 < path.size() ? std::make_unique<Node>() : nullptr;
        Node* next = child.get();
        if (path[k].is_index()) {
          node->indexes[path[k].index] = std::move(child);
        } else {
          node->names[path[k].name] = std::move(child);
        }
        node = next;
      }
      return Status::Ok();
    }
    if (*slot != nullptr && d + 1 < path.size()) {
      node = slot->get();
      continue;
    }
    Path other(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(d) + 1);
    AppendFirstBranch(slot->get(), &other);
    return v.Error(
        "Two document paths overlap with each other; must remove or rewrite one of these "
        "paths; path one: " +
        PathToString(path) + ", path two: " + PathToString(other));
  }
  return Status::Ok();
}

}  // namespace meridian::model::expr
