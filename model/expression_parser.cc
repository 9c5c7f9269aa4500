// Recursive-descent parsing of document paths and operands (shared), and of
// ConditionExpression / FilterExpression and ProjectionExpression.
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/expression_ast.h"

namespace meridian::model::expr {

// ---- TokenParser -----------------------------------------------------------------------------

TokenParser::TokenParser(std::string_view text, Grammar grammar)
    : text_(text), grammar_(grammar), tokens_(Tokenize(text)) {}

const Token& TokenParser::Peek(size_t ahead) const {
  size_t i = pos_ + ahead;
  return i < tokens_.size() ? tokens_[i] : tokens_.back();
}

bool TokenParser::Fail() {
  if (!failed_ || pos_ > furthest_) furthest_ = pos_;
  failed_ = true;
  return false;
}

bool TokenParser::Expect(TokenKind kind) {
  if (!At(kind)) return Fail();
  Advance();
  return true;
}

bool TokenParser::ExpectKeyword(std::string_view upper) {
  if (!AtKeyword(upper)) return Fail();
  Advance();
  return true;
}

bool TokenParser::Enter() {
  if (nesting_ >= kMaxParseNesting) return Fail();
  ++nesting_;
  return true;
}

bool TokenParser::IsGrammarKeyword(const Token& token) const {
  switch (grammar_) {
    case Grammar::kCondition:
      return IsKeyword(token, "AND") || IsKeyword(token, "OR") || IsKeyword(token, "NOT") ||
             IsKeyword(token, "BETWEEN") || IsKeyword(token, "IN");
    case Grammar::kUpdate:
      return IsKeyword(token, "SET") || IsKeyword(token, "REMOVE") || IsKeyword(token, "ADD") ||
             IsKeyword(token, "DELETE");
    case Grammar::kProjection: return false;
  }
  return false;
}

std::string TokenParser::SyntaxError() const {
  return SyntaxErrorText(text_, tokens_, failed_ ? furthest_ : pos_);
}

bool TokenParser::ParsePath(Operand* out) {
  out->kind = Operand::Kind::kPath;
  out->raw_path.clear();
  auto name_element = [&]() -> bool {
    const Token& t = Peek();
    if (t.kind == TokenKind::kName && !IsGrammarKeyword(t)) {
      out->raw_path.push_back({RawPathElement::Kind::kName, std::string(t.text), -1});
    } else if (t.kind == TokenKind::kNameRef) {
      out->raw_path.push_back({RawPathElement::Kind::kNameRef, std::string(t.text), -1});
    } else {
      return Fail();
    }
    Advance();
    return true;
  };
  if (!name_element()) return false;
  while (true) {
    if (At(TokenKind::kDot)) {
      Advance();
      if (!name_element()) return false;
    } else if (At(TokenKind::kLBracket)) {
      Advance();
      if (!At(TokenKind::kNumber)) return Fail();
      int64_t index = 0;
      for (char c : Peek().text) {
        index = index * 10 + (c - '0');
        if (index > std::numeric_limits<int>::max()) return Fail();
      }
      out->raw_path.push_back({RawPathElement::Kind::kIndex, "", static_cast<int>(index)});
      Advance();
      if (!Expect(TokenKind::kRBracket)) return false;
    } else {
      return true;
    }
  }
}

bool TokenParser::WrapInParens(Operand* inner) {
  if (inner->parens > 0) inner->redundant_parens = true;
  ++inner->parens;
  return true;
}

bool TokenParser::ParseFunctionCall(Operand* out) {
  out->kind = Operand::Kind::kFunction;
  out->function = std::string(Peek().text);
  Advance();
  if (!Expect(TokenKind::kLParen)) return false;
  while (true) {
    Operand arg;
    if (!ParseOperand(&arg)) return false;
    out->args.push_back(std::move(arg));
    if (!At(TokenKind::kComma)) break;
    Advance();
  }
  return Expect(TokenKind::kRParen);
}

bool TokenParser::ParseOperand(Operand* out) {
  if (!Enter()) return false;
  bool ok = false;
  if (At(TokenKind::kLParen)) {
    Advance();
    Operand inner;
    ok = grammar_ == Grammar::kUpdate ? ParseSetValue(&inner) : ParseOperand(&inner);
    ok = ok && Expect(TokenKind::kRParen) && WrapInParens(&inner);
    if (ok) *out = std::move(inner);
  } else if (At(TokenKind::kValueRef)) {
    out->kind = Operand::Kind::kValue;
    out->value_ref = std::string(Peek().text);
    Advance();
    ok = true;
  } else if (At(TokenKind::kName) && !IsGrammarKeyword(Peek()) &&
             Peek(1).kind == TokenKind::kLParen) {
    ok = ParseFunctionCall(out);
  } else {
    ok = ParsePath(out);
  }
  Leave();
  return ok;
}

bool TokenParser::ParseSetValue(Operand* out) {
  Operand lhs;
  if (!ParseOperand(&lhs)) return false;
  if (!At(TokenKind::kPlus) && !At(TokenKind::kMinus)) {
    *out = std::move(lhs);
    return true;
  }
  Operand result;
  result.kind = At(TokenKind::kPlus) ? Operand::Kind::kPlus : Operand::Kind::kMinus;
  Advance();
  Operand rhs;
  if (!ParseOperand(&rhs)) return false;
  result.args.push_back(std::move(lhs));
  result.args.push_back(std::move(rhs));
  *out = std::move(result);
  return true;
}

namespace {

using NodePtr = std::shared_ptr<ConditionNode>;

// condition := or;  or := and (OR and)*;  and := not (AND not)*;  not := NOT not | primary
// primary   := operand (comparator operand | BETWEEN operand AND operand | IN '(' list ')')
//            | function-call | '(' condition ')'
class ConditionGrammar {
 public:
  explicit ConditionGrammar(TokenParser& p) : p_(p) {}

  NodePtr ParseOr() {
    NodePtr left = ParseAnd();
    while (left && p_.AtKeyword("OR")) {
      p_.Advance();
      NodePtr right = ParseAnd();
      if (!right) return nullptr;
      left = Binary(ConditionNode::Kind::kOr, std::move(left), std::move(right));
    }
    return left;
  }

 private:
  static NodePtr Binary(ConditionNode::Kind kind, NodePtr left, NodePtr right) {
    auto node = std::make_shared<ConditionNode>();
    node->kind = kind;
    node->children = {std::move(left), std::move(right)};
    return node;
  }

  NodePtr ParseAnd() {
    NodePtr left = ParseNot();
    while (left && p_.AtKeyword("AND")) {
      p_.Advance();
      NodePtr right = ParseNot();
      if (!right) return nullptr;
      left = Binary(ConditionNode::Kind::kAnd, std::move(left), std::move(right));
    }
    return left;
  }

  NodePtr ParseNot() {
    if (!p_.AtKeyword("NOT")) return ParsePrimary();
    if (!p_.Enter()) return nullptr;
    p_.Advance();
    NodePtr child = ParseNot();
    p_.Leave();
    if (!child) return nullptr;
    auto node = std::make_shared<ConditionNode>();
    node->kind = ConditionNode::Kind::kNot;
    node->children = {std::move(child)};
    return node;
  }

  bool AtComparison() const {
    switch (p_.Peek().kind) {
      case TokenKind::kEq:
      case TokenKind::kNe:
      case TokenKind::kLt:
      case TokenKind::kLe:
      case TokenKind::kGt:
      case TokenKind::kGe: return true;
      default: return p_.AtKeyword("BETWEEN") || p_.AtKeyword("IN");
    }
  }

  NodePtr ParsePrimary() {
    if (!p_.Enter()) return nullptr;
    NodePtr node = ParsePrimaryInner();
    p_.Leave();
    return node;
  }

  NodePtr ParsePrimaryInner() {
    size_t start = p_.pos();
    Operand lhs;
    bool have_operand = p_.ParseOperand(&lhs);
    if (have_operand && AtComparison()) return ParseComparison(std::move(lhs));
    if (have_operand) p_.Fail();  // a comparator was expected here
    size_t after_operand = p_.pos();
    p_.Reset(start);
    if (p_.At(TokenKind::kLParen)) {
      // Not an operand comparison: a parenthesized condition.
      p_.Advance();
      NodePtr node = ParseOr();
      if (!node || !p_.Expect(TokenKind::kRParen)) return nullptr;
      if (node->parens > 0) node->redundant_parens = true;
      ++node->parens;
      return node;
    }
    if (!have_operand || lhs.kind != Operand::Kind::kFunction) return nullptr;
    // A function used as a condition: attribute_exists(a), begins_with(a, :v), ...
    p_.Reset(after_operand);
    auto node = std::make_shared<ConditionNode>();
    node->kind = ConditionNode::Kind::kFunction;
    node->function = lhs.function;
    node->operands = std::move(lhs.args);
    return node;
  }

  NodePtr ParseComparison(Operand lhs) {
    auto node = std::make_shared<ConditionNode>();
    node->operands.push_back(std::move(lhs));
    const Token& t = p_.Peek();
    if (p_.AtKeyword("BETWEEN")) {
      node->kind = ConditionNode::Kind::kBetween;
      p_.Advance();
      Operand low, high;
      if (!p_.ParseOperand(&low) || !p_.ExpectKeyword("AND") || !p_.ParseOperand(&high)) {
        return nullptr;
      }
      node->operands.push_back(std::move(low));
      node->operands.push_back(std::move(high));
      return node;
    }
    if (p_.AtKeyword("IN")) {
      node->kind = ConditionNode::Kind::kIn;
      p_.Advance();
      if (!p_.Expect(TokenKind::kLParen)) return nullptr;
      while (true) {
        Operand item;
        if (!p_.ParseOperand(&item)) return nullptr;
        node->operands.push_back(std::move(item));
        if (!p_.At(TokenKind::kComma)) break;
        p_.Advance();
      }
      if (!p_.Expect(TokenKind::kRParen)) return nullptr;
      return node;
    }
    node->kind = ConditionNode::Kind::kCompare;
    switch (t.kind) {
      case TokenKind::kEq: node->op = CompareOp::kEq; break;
      case TokenKind::kNe: node->op = CompareOp::kNe; break;
      case TokenKind::kLt: node->op = CompareOp::kLt; break;
      case TokenKind::kLe: node->op = CompareOp::kLe; break;
      case TokenKind::kGt: node->op = CompareOp::kGt; break;
      default: node->op = CompareOp::kGe; break;
    }
    p_.Advance();
    Operand rhs;
    if (!p_.ParseOperand(&rhs)) return nullptr;
    node->operands.push_back(std::move(rhs));
    return node;
  }

  TokenParser& p_;
};

// ---- Condition validation, in the order DynamoDB reports problems ----------------------------

template <typename Fn>
Status ForEachOperand(const ConditionNode& node, const Fn& fn) {
  for (const auto& child : node.children) MERIDIAN_RETURN_IF_ERROR(ForEachOperand(*child, fn));
  for (const Operand& op : node.operands) MERIDIAN_RETURN_IF_ERROR(fn(op));
  return Status::Ok();
}

Status CheckRedundantParens(const Validator& v, const ConditionNode& node) {
  if (node.redundant_parens) return v.Error("The expression has redundant parentheses;");
  for (const auto& child : node.children) MERIDIAN_RETURN_IF_ERROR(CheckRedundantParens(v, *child));
  std::function<Status(const Operand&)> check = [&](const Operand& op) -> Status {
    if (op.redundant_parens) return v.Error("The expression has redundant parentheses;");
    for (const Operand& arg : op.args) MERIDIAN_RETURN_IF_ERROR(check(arg));
    return Status::Ok();
  };
  for (const Operand& op : node.operands) MERIDIAN_RETURN_IF_ERROR(check(op));
  return Status::Ok();
}

Status CheckFunctionNames(const Validator& v, std::string_view name) {
  if (!IsKnownFunction(name))
    return v.Error("Invalid function name; function: " + std::string(name));
  if (!IsConditionFunction(name)) {
    return v.Error("The function is not allowed in a condition expression; function: " +
                   std::string(name));
  }
  return Status::Ok();
}

Status CheckOperandFunctionNames(const Validator& v, const Operand& op) {
  if (op.kind == Operand::Kind::kFunction)
    MERIDIAN_RETURN_IF_ERROR(CheckFunctionNames(v, op.function));
  for (const Operand& arg : op.args) MERIDIAN_RETURN_IF_ERROR(CheckOperandFunctionNames(v, arg));
  return Status::Ok();
}

Status CheckAllFunctionNames(const Validator& v, const ConditionNode& node) {
  if (node.kind == ConditionNode::Kind::kFunction) {
    MERIDIAN_RETURN_IF_ERROR(CheckFunctionNames(v, node.function));
  }
  for (const auto& child : node.children)
    MERIDIAN_RETURN_IF_ERROR(CheckAllFunctionNames(v, *child));
  for (const Operand& op : node.operands)
    MERIDIAN_RETURN_IF_ERROR(CheckOperandFunctionNames(v, op));
  return Status::Ok();
}

// Only size() may be an operand (of a comparison or of another function), and size() alone
// is not a condition.
Status CheckMisusedFunctions(const Validator& v, const ConditionNode& node) {
  auto misused = [&](std::string_view name) {
    return v.Error("The function is not allowed to be used this way in an expression; function: " +
                   std::string(name));
  };
  if (node.kind == ConditionNode::Kind::kFunction && node.function == "size") {
    return misused("size");
  }
  for (const auto& child : node.children)
    MERIDIAN_RETURN_IF_ERROR(CheckMisusedFunctions(v, *child));
  std::function<Status(const Operand&)> check = [&](const Operand& op) -> Status {
    if (op.kind == Operand::Kind::kFunction && op.function != "size") return misused(op.function);
    for (const Operand& arg : op.args) MERIDIAN_RETURN_IF_ERROR(check(arg));
    return Status::Ok();
  };
  for (const Operand& op : node.operands) MERIDIAN_RETURN_IF_ERROR(check(op));
  return Status::Ok();
}

Status CheckBetweenBounds(const Validator& v, const Operand& low, const Operand& high) {
  if (low.kind != Operand::Kind::kValue || high.kind != Operand::Kind::kValue) {
    return Status::Ok();
  }
  std::string bounds = "lower bound operand: AttributeValue: " + ValueForMessage(low.value) +
                       ", upper bound operand: AttributeValue: " + ValueForMessage(high.value);
  if (low.value.type() != high.value.type()) {
    return v.Error("The BETWEEN operator requires same data type for lower and upper bounds; " +
                   bounds);
  }
  if (low.value.is_scalar_key_type() && CompareScalars(low.value, high.value) > 0) {
    return v.Error(
        "The BETWEEN operator requires upper bound to be greater than or equal to lower "
        "bound; " +
        bounds);
  }
  return Status::Ok();
}

constexpr TypeMask kOrdered = (1u << static_cast<int>(AttrType::kS)) |
                              (1u << static_cast<int>(AttrType::kN)) |
                              (1u << static_cast<int>(AttrType::kB));

// Post-order: operands (placeholders, nested functions) before the operator itself.
Status ValidateNode(Validator& v, ConditionNode& node, int* operators) {
  for (auto& child : node.children) MERIDIAN_RETURN_IF_ERROR(ValidateNode(v, *child, operators));
  for (Operand& op : node.operands) {
    MERIDIAN_RETURN_IF_ERROR(v.Resolve(op, true, true));
    MERIDIAN_RETURN_IF_ERROR(v.CheckFunctions(op));
    *operators += Validator::CountOperators(op);
  }
  ++*operators;
  switch (node.kind) {
    case ConditionNode::Kind::kAnd:
    case ConditionNode::Kind::kOr:
    case ConditionNode::Kind::kNot: return Status::Ok();
    case ConditionNode::Kind::kFunction: return v.CheckCall(node.function, node.operands);
    case ConditionNode::Kind::kCompare: {
      std::string_view name = CompareOpName(node.op);
      if (node.op != CompareOp::kEq && node.op != CompareOp::kNe) {
        for (const Operand& op : node.operands) {
          MERIDIAN_RETURN_IF_ERROR(CheckOperandType(v, name, op, kOrdered));
        }
      }
      return CheckDistinct(v, name, node.operands);
    }
    case ConditionNode::Kind::kBetween: {
      for (const Operand& op : node.operands) {
        MERIDIAN_RETURN_IF_ERROR(CheckOperandType(v, "BETWEEN", op, kOrdered));
      }
      MERIDIAN_RETURN_IF_ERROR(CheckDistinct(v, "BETWEEN", node.operands));
      return CheckBetweenBounds(v, node.operands[1], node.operands[2]);
    }
    case ConditionNode::Kind::kIn: {
      MERIDIAN_RETURN_IF_ERROR(CheckDistinct(v, "IN", node.operands));
      if (node.operands.size() - 1 > kMaxInOperands) {
        return v.Error("The IN operator is provided with too many operands; number of operands: " +
                       std::to_string(node.operands.size() - 1));
      }
      return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<ConditionNode>> ParseConditionTree(std::string_view text,
                                                          std::string_view kind,
                                                          ExpressionContext& ctx) {
  MERIDIAN_RETURN_IF_ERROR(CheckExpressionText(text, kind));
  TokenParser parser(text, Grammar::kCondition);
  ConditionGrammar grammar(parser);
  NodePtr root = grammar.ParseOr();
  if (root && !parser.At(TokenKind::kEnd)) {
    parser.Fail();
    root = nullptr;
  }
  if (!root) return InvalidExpression(kind, parser.SyntaxError());

  Validator v(kind, ctx);
  MERIDIAN_RETURN_IF_ERROR(CheckRedundantParens(v, *root));
  MERIDIAN_RETURN_IF_ERROR(CheckAllFunctionNames(v, *root));
  MERIDIAN_RETURN_IF_ERROR(CheckMisusedFunctions(v, *root));
  MERIDIAN_RETURN_IF_ERROR(
      ForEachOperand(*root, [&](const Operand& op) { return v.CheckReserved(op); }));
  int operators = 0;
  MERIDIAN_RETURN_IF_ERROR(ValidateNode(v, *root, &operators));
  if (operators > kMaxOperators) {
    return v.Error("The expression contains too many operators; operator count: " +
                   std::to_string(kMaxOperators + 1));
  }
  return root;
}

Result<Condition> ParseCondition(std::string_view text, std::string_view kind,
                                 ExpressionContext& ctx) {
  auto tree = ParseConditionTree(text, kind, ctx);
  if (!tree.ok()) return tree.status();
  return Condition(std::move(tree).value());
}

Result<std::vector<Path>> ParseProjection(std::string_view text, ExpressionContext& ctx) {
  constexpr std::string_view kKind = "ProjectionExpression";
  MERIDIAN_RETURN_IF_ERROR(CheckExpressionText(text, kKind));
  TokenParser parser(text, Grammar::kProjection);
  std::vector<Operand> operands;
  while (true) {
    Operand op;
    if (!parser.ParsePath(&op)) return InvalidExpression(kKind, parser.SyntaxError());
    operands.push_back(std::move(op));
    if (!parser.At(TokenKind::kComma)) break;
    parser.Advance();
  }
  if (!parser.At(TokenKind::kEnd)) {
    parser.Fail();
    return InvalidExpression(kKind, parser.SyntaxError());
  }
  Validator v(kKind, ctx);
  for (const Operand& op : operands) MERIDIAN_RETURN_IF_ERROR(v.CheckReserved(op));
  PathTree tree;
  std::vector<Path> paths;
  for (Operand& op : operands) {
    MERIDIAN_RETURN_IF_ERROR(v.ResolvePath(op));
    MERIDIAN_RETURN_IF_ERROR(tree.Insert(v, op.path));
    paths.push_back(std::move(op.path));
  }
  return paths;
}

}  // namespace meridian::model::expr
