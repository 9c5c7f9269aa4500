// UpdateExpression parsing and validation:
//   update := ( SET set-action, ... | REMOVE path, ... | ADD path :v, ... | DELETE path :v, ... )+
//   set-action := path = operand [ (+|-) operand ]
// each clause keyword at most once, in any order.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/expression_ast.h"

namespace meridian::model::expr {
namespace {

constexpr std::string_view kKind = "UpdateExpression";

struct Clause {
  std::string_view keyword;
  UpdateAction::Kind kind;
};
constexpr Clause kClauses[] = {
    {"SET", UpdateAction::Kind::kSet},
    {"REMOVE", UpdateAction::Kind::kRemove},
    {"ADD", UpdateAction::Kind::kAdd},
    {"DELETE", UpdateAction::Kind::kDelete},
};

// Parses the whole expression; on a syntax error returns false (message in the parser).
// `duplicate` receives the first clause keyword used twice.
bool ParseClauses(TokenParser& p, std::vector<UpdateAction>* actions, std::string* duplicate) {
  bool seen[4] = {false, false, false, false};
  if (p.At(TokenKind::kEnd)) return p.Fail();
  while (!p.At(TokenKind::kEnd)) {
    const Clause* clause = nullptr;
    for (size_t i = 0; i < 4; ++i) {
      if (p.AtKeyword(kClauses[i].keyword)) {
        clause = &kClauses[i];
        if (seen[i] && duplicate->empty()) *duplicate = std::string(clause->keyword);
        seen[i] = true;
      }
    }
    if (clause == nullptr) return p.Fail();
    p.Advance();
    while (true) {
      UpdateAction action;
      action.kind = clause->kind;
      if (!p.ParsePath(&action.target)) return false;
      switch (clause->kind) {
        case UpdateAction::Kind::kSet:
          if (!p.Expect(TokenKind::kEq) || !p.ParseSetValue(&action.value)) return false;
          break;
        case UpdateAction::Kind::kRemove: break;
        case UpdateAction::Kind::kAdd:
        case UpdateAction::Kind::kDelete:
          if (!p.At(TokenKind::kValueRef)) return p.Fail();
          action.value.kind = Operand::Kind::kValue;
          action.value.value_ref = std::string(p.Peek().text);
          p.Advance();
          break;
      }
      actions->push_back(std::move(action));
      if (!p.At(TokenKind::kComma)) break;
      p.Advance();
    }
  }
  return true;
}

Status CheckRedundantParens(const Validator& v, const Operand& op) {
  if (op.redundant_parens) return v.Error("The expression has redundant parentheses;");
  for (const Operand& arg : op.args) MERIDIAN_RETURN_IF_ERROR(CheckRedundantParens(v, arg));
  return Status::Ok();
}

Status CheckFunctionNames(const Validator& v, const Operand& op) {
  if (op.kind == Operand::Kind::kFunction) {
    if (!IsKnownFunction(op.function)) {
      return v.Error("Invalid function name; function: " + op.function);
    }
    if (IsConditionFunction(op.function)) {
      return v.Error("The function is not allowed in an update expression; function: " +
                     op.function);
    }
  }
  for (const Operand& arg : op.args) MERIDIAN_RETURN_IF_ERROR(CheckFunctionNames(v, arg));
  return Status::Ok();
}

const char* LongTypeName(AttrType type) {
  switch (type) {
    case AttrType::kS: return "STRING";
    case AttrType::kN: return "NUMBER";
    case AttrType::kB: return "BINARY";
    case AttrType::kBool: return "BOOLEAN";
    case AttrType::kNull: return "NULL";
    case AttrType::kM: return "MAP";
    case AttrType::kL: return "LIST";
    case AttrType::kSS: return "STRING_SET";
    case AttrType::kNS: return "NUMBER_SET";
    case AttrType::kBS: return "BINARY_SET";
  }
  return "NULL";
}

Status CheckAddDeleteOperand(const Validator& v, const UpdateAction& action) {
  AttrType type = action.value.value.type();
  bool is_add = action.kind == UpdateAction::Kind::kAdd;
  if (action.value.value.is_set() || (is_add && type == AttrType::kN)) return Status::Ok();
  return v.Error(
      std::string("Incorrect operand type for operator or function; operator: ") +
      (is_add ? "ADD" : "DELETE") + ", operand type: " + LongTypeName(type) +
      ", typeSet: " + (is_add ? "ALLOWED_FOR_ADD_OPERAND" : "ALLOWED_FOR_DELETE_OPERAND"));
}

}  // namespace

Result<Update> ParseUpdate(std::string_view text, ExpressionContext& ctx, bool attribute_updates) {
  MERIDIAN_RETURN_IF_ERROR(CheckExpressionText(text, kKind));
  TokenParser parser(text, Grammar::kUpdate);
  auto node = std::make_shared<UpdateNode>();
  node->attribute_updates = attribute_updates;
  std::string duplicate;
  if (!ParseClauses(parser, &node->actions, &duplicate)) {
    return InvalidExpression(kKind, parser.SyntaxError());
  }

  Validator v(kKind, ctx);
  for (const UpdateAction& a : node->actions) {
    MERIDIAN_RETURN_IF_ERROR(CheckRedundantParens(v, a.value));
  }
  for (const UpdateAction& a : node->actions) {
    MERIDIAN_RETURN_IF_ERROR(v.CheckReserved(a.target));
    MERIDIAN_RETURN_IF_ERROR(v.CheckReserved(a.value));
  }
  for (const UpdateAction& a : node->actions) {
    MERIDIAN_RETURN_IF_ERROR(CheckFunctionNames(v, a.value));
  }
  if (!duplicate.empty()) {
    return v.Error("The \"" + duplicate +
                   "\" section can only be used once in an update expression;");
  }
  // The target paths first (as DynamoDB builds its update tree), then each action's operands.
  PathTree tree;
  for (UpdateAction& a : node->actions) {
    MERIDIAN_RETURN_IF_ERROR(v.ResolvePath(a.target));
    MERIDIAN_RETURN_IF_ERROR(tree.Insert(v, a.target.path));
  }
  int operators = 0;
  for (UpdateAction& a : node->actions) {
    if (a.kind == UpdateAction::Kind::kRemove) continue;
    MERIDIAN_RETURN_IF_ERROR(v.Resolve(a.value, true, true));
    MERIDIAN_RETURN_IF_ERROR(v.CheckFunctions(a.value));
    if (a.kind != UpdateAction::Kind::kSet) MERIDIAN_RETURN_IF_ERROR(CheckAddDeleteOperand(v, a));
    operators += Validator::CountOperators(a.value);
  }
  if (operators > kMaxOperators) {
    return v.Error("The expression contains too many operators; operator count: " +
                   std::to_string(kMaxOperators + 1));
  }
  return Update(std::move(node));
}

std::vector<Path> UpdatedPaths(const UpdateNode& update) {
  std::vector<Path> paths;
  paths.reserve(update.actions.size());
  for (const UpdateAction& a : update.actions) paths.push_back(a.target.path);
  return paths;
}

std::vector<UpdateActionInfo> DescribeUpdate(const UpdateNode& update) {
  std::vector<UpdateActionInfo> out;
  out.reserve(update.actions.size());
  for (const UpdateAction& a : update.actions) {
    UpdateActionInfo info;
    info.path = a.target.path;
    switch (a.kind) {
      case UpdateAction::Kind::kSet: info.kind = UpdateActionInfo::Kind::kSet; break;
      case UpdateAction::Kind::kRemove: info.kind = UpdateActionInfo::Kind::kRemove; break;
      case UpdateAction::Kind::kAdd: info.kind = UpdateActionInfo::Kind::kAdd; break;
      case UpdateAction::Kind::kDelete: info.kind = UpdateActionInfo::Kind::kDelete; break;
    }
    if (a.kind == UpdateAction::Kind::kAdd || a.kind == UpdateAction::Kind::kDelete) {
      info.operand = a.value.value;
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace meridian::model::expr
