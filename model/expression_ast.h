// Private to the expression implementation (model/expression_*.cc): tokens, the AST behind
// the opaque ConditionNode / UpdateNode of model/expression.h, and the helpers the parsers,
// validators and evaluators share. Not part of any public contract.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/attribute_value.h"
#include "model/expression.h"

namespace meridian::model::expr {

// ---- Limits (DynamoDB's) -----------------------------------------------------------------
inline constexpr size_t kMaxExpressionBytes = 4096;
inline constexpr size_t kMaxPathDepth = 32;
inline constexpr size_t kMaxInOperands = 100;
inline constexpr int kMaxOperators = 300;
// Guards the recursive-descent parser's stack; far above anything a valid expression needs
// (a valid one has at most kMaxOperators operators).
inline constexpr int kMaxParseNesting = 400;

// ---- Lexer -------------------------------------------------------------------------------
enum class TokenKind {
  kEnd,       // end of input (always the last token)
  kName,      // [A-Za-z_][A-Za-z0-9_]*   (identifiers, keywords, function names)
  kNameRef,   // #[A-Za-z0-9_]*
  kValueRef,  // :[A-Za-z0-9_]*
  kNumber,    // [0-9]+  (only valid as a list index)
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kDot,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kPlus,
  kMinus,
  kInvalid,  // any other character (one UTF-8 sequence)
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t begin = 0;  // byte offsets into the expression text
  size_t end = 0;
  std::string_view text;
};

// Splits `text` into tokens, skipping blanks (space, \t, \r, \n). Never fails: unknown
// characters become kInvalid tokens. The result always ends with one kEnd token.
std::vector<Token> Tokenize(std::string_view text);

// True when `token` is a kName equal to `upper` ignoring ASCII case.
bool IsKeyword(const Token& token, std::string_view upper);

// DynamoDB's syntax error text for the token at `index`, without the "Invalid X: " prefix:
//   Syntax error; token: "<tok>", near: "<prev token .. next token>"
std::string SyntaxErrorText(std::string_view text, const std::vector<Token>& tokens, size_t index);

// True for DynamoDB's reserved words (case-insensitive).
bool IsReservedWord(std::string_view name);

// "Invalid <kind>: <message>" as InvalidArgument.
Status InvalidExpression(std::string_view kind, std::string_view message);

// The empty and size checks every expression parameter goes through first.
Status CheckExpressionText(std::string_view text, std::string_view kind);

// ---- AST ---------------------------------------------------------------------------------
// A path element as written, before #name placeholders are resolved.
struct RawPathElement {
  enum class Kind { kName, kNameRef, kIndex };
  Kind kind = Kind::kName;
  std::string text;  // the identifier or "#ref"
  int index = -1;    // kIndex
};

struct Operand {
  enum class Kind { kPath, kValue, kFunction, kPlus, kMinus };
  Kind kind = Kind::kPath;
  std::vector<RawPathElement> raw_path;  // kPath, as written
  Path path;                             // kPath, resolved
  std::string value_ref;                 // kValue, ":v"
  AttributeValue value;                  // kValue, resolved
  std::string function;                  // kFunction name (case-sensitive)
  std::vector<Operand> args;             // kFunction arguments; kPlus/kMinus: lhs, rhs
  int parens = 0;                        // parentheses directly around this operand
  bool redundant_parens = false;         // "((x))" seen around this operand
};

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };
const char* CompareOpName(CompareOp op);

struct ConditionNode {
  enum class Kind { kCompare, kBetween, kIn, kFunction, kAnd, kOr, kNot };
  Kind kind = Kind::kCompare;
  CompareOp op = CompareOp::kEq;  // kCompare
  std::string function;           // kFunction
  std::vector<Operand> operands;  // kCompare: 2, kBetween: 3, kIn: 1 + list, kFunction: args
  std::vector<std::shared_ptr<ConditionNode>> children;  // kAnd/kOr: 2, kNot: 1
  int parens = 0;
  bool redundant_parens = false;
};

struct UpdateAction {
  enum class Kind { kSet, kRemove, kAdd, kDelete };
  Kind kind = Kind::kSet;
  Operand target;  // always kPath
  Operand value;   // kSet: the value expression; kAdd/kDelete: a kValue; kRemove: unused
};

struct UpdateNode {
  std::vector<UpdateAction> actions;  // in clause order, as written
  bool attribute_updates = false;     // translated from legacy AttributeUpdates
};

// ---- Shared parsing ------------------------------------------------------------------------
// Which words are keywords (never identifiers) in the grammar being parsed.
enum class Grammar { kCondition, kUpdate, kProjection };

// A recursive-descent parser over the token stream with PEG-style failure tracking: every
// failed expectation records its token index, and the syntax error reported is the one at
// the furthest index reached.
class TokenParser {
 public:
  TokenParser(std::string_view text, Grammar grammar);

  const Token& Peek(size_t ahead = 0) const;
  bool At(TokenKind kind) const { return Peek().kind == kind; }
  bool AtKeyword(std::string_view upper) const { return IsKeyword(Peek(), upper); }
  void Advance() {
    if (pos_ + 1 < tokens_.size()) ++pos_;
  }
  size_t pos() const { return pos_; }
  void Reset(size_t pos) { pos_ = pos; }
  // Records a failure at the current token; returns false for convenient `return Fail();`.
  bool Fail();
  bool Expect(TokenKind kind);
  bool ExpectKeyword(std::string_view upper);

  // Nesting guard for the recursive rules.
  bool Enter();
  void Leave() { --nesting_; }

  // True for a kName that is a keyword of this grammar (so not usable as an identifier).
  bool IsGrammarKeyword(const Token& token) const;

  // path := (name | #ref) ( '.' (name | #ref) | '[' number ']' )*
  bool ParsePath(Operand* out);
  // Condition operands: '(' operand ')' | function | :value | path.
  // Update operands additionally allow '(' set-value ')' and functions with such args.
  bool ParseOperand(Operand* out);
  // Update only: operand [ ('+' | '-') operand ].
  bool ParseSetValue(Operand* out);

  // "Syntax error; token: ..." for the furthest failure.
  std::string SyntaxError() const;

 private:
  bool ParseFunctionCall(Operand* out);
  bool WrapInParens(Operand* inner);

  std::string_view text_;
  Grammar grammar_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  size_t furthest_ = 0;
  bool failed_ = false;
  int nesting_ = 0;
};

// ---- Shared validation -------------------------------------------------------------------
// Walks operands / conditions in the order DynamoDB reports their errors and resolves
// placeholders. Each Check* returns the first error (already prefixed with "Invalid kind: ").
class Validator {
 public:
  Validator(std::string_view kind, ExpressionContext& ctx) : kind_(kind), ctx_(ctx) {}

  Status Error(std::string_view message) const { return InvalidExpression(kind_, message); }

  // The first bare identifier of a path in `operand` (or its arguments) that is reserved.
  Status CheckReserved(const Operand& operand) const;
  // Resolves #names of a path operand (and checks its depth), or the :value of a value
  // operand, recursing into function/arithmetic arguments. `names`/`values` select which
  // placeholders to resolve in this pass.
  Status Resolve(Operand& operand, bool names, bool values);
  Status ResolvePath(Operand& operand);
  // Checks a call whose arguments are resolved: known name, operand count and types,
  // distinct operands, document-path and attribute_type requirements.
  Status CheckCall(std::string_view name, const std::vector<Operand>& args) const;
  // CheckCall on every function / arithmetic node of an operand tree, innermost first.
  Status CheckFunctions(const Operand& operand) const;
  // Number of operators in an operand tree (functions and + / -).
  static int CountOperators(const Operand& operand);

  std::string_view kind() const { return kind_; }

 private:
  std::string_view kind_;
  ExpressionContext& ctx_;
};

// Bitmask of AttrTypes an operand may evaluate to.
using TypeMask = uint32_t;
TypeMask MaskOf(AttrType type);
inline constexpr TypeMask kAllTypes = 0x3ff;
TypeMask PossibleTypes(const Operand& operand);
// How DynamoDB names a set of possible types in "operand type: ..." messages.
std::string TypeMaskName(TypeMask mask);

// "Incorrect operand type for operator or function; operator or function: X, operand type: T"
// when none of `operand`'s possible types is in `allowed`.
Status CheckOperandType(const Validator& v, std::string_view op, const Operand& operand,
                        TypeMask allowed);
// "The first operand must be distinct ..." when a later operand repeats the first path.
Status CheckDistinct(const Validator& v, std::string_view op, const std::vector<Operand>& ops);

// Known function names (case-sensitive), and the subset usable in conditions.
bool IsKnownFunction(std::string_view name);
bool IsConditionFunction(std::string_view name);

// The document paths of one expression, kept as a tree to find the first path that overlaps
// (is a prefix of, or equal to) or conflicts with (uses a name where the other uses an index)
// an earlier one. DynamoDB's message names the new path first.
class PathTree {
 public:
  struct Node;
  PathTree();
  ~PathTree();
  Status Insert(const Validator& v, const Path& path);

 private:
  std::unique_ptr<Node> root_;
};

// ---- Shared evaluation -------------------------------------------------------------------
// The value at `path` in `item`, or nullptr when any step is missing or of the wrong type.
const AttributeValue* FindPath(const Item& item, const Path& path);

// DynamoDB's ordering for S (bytes), N (numeric), B (unsigned bytes).
// REQUIRES: a.type() == b.type() and the type is S, N or B.
int CompareScalars(const AttributeValue& a, const AttributeValue& b);

// "{S:abc}" as DynamoDB prints an AttributeValue in messages.
std::string ValueForMessage(const AttributeValue& value);

// Condition parsing shared by ParseCondition and ParseKeyCondition.
Result<std::shared_ptr<ConditionNode>> ParseConditionTree(std::string_view text,
                                                          std::string_view kind,
                                                          ExpressionContext& ctx);

}  // namespace meridian::model::expr
