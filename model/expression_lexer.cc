// Tokenizer for all expression kinds, plus the text checks and syntax-error wording they
// share.
#include <string>
#include <string_view>
#include <vector>

#include "model/expression_ast.h"

namespace meridian::model::expr {
namespace {

// DynamoDB's names start with a letter ("_a" and "1a" are syntax errors); '#'/':'
// placeholders may start with any name character.
bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentPart(char c) { return IsIdentStart(c) || IsDigit(c) || c == '_'; }
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Length of the UTF-8 sequence starting at text[i], clamped to the text and to well-formed
// continuation bytes, so a stray byte never swallows its neighbours.
size_t Utf8Length(std::string_view text, size_t i) {
  unsigned char lead = static_cast<unsigned char>(text[i]);
  size_t want = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  size_t n = 1;
  while (n < want && i + n < text.size() &&
         (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) {
    ++n;
  }
  return n;
}

}  // namespace

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  auto emit = [&](TokenKind kind, size_t begin, size_t end) {
    tokens.push_back(Token{kind, begin, end, text.substr(begin, end - begin)});
  };
  while (i < text.size()) {
    char c = text[i];
    if (IsBlank(c)) {
      ++i;
      continue;
    }
    size_t begin = i;
    if (IsIdentStart(c)) {
      while (i < text.size() && IsIdentPart(text[i])) ++i;
      emit(TokenKind::kName, begin, i);
      continue;
    }
    if (IsDigit(c)) {
      while (i < text.size() && IsDigit(text[i])) ++i;
      emit(TokenKind::kNumber, begin, i);
      continue;
    }
    if (c == '#' || c == ':') {
      ++i;
      while (i < text.size() && IsIdentPart(text[i])) ++i;
      emit(c == '#' ? TokenKind::kNameRef : TokenKind::kValueRef, begin, i);
      continue;
    }
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    TokenKind kind = TokenKind::kInvalid;
    size_t len = 1;
    switch (c) {
      case '(': kind = TokenKind::kLParen; break;
      case ')': kind = TokenKind::kRParen; break;
      case '[': kind = TokenKind::kLBracket; break;
      case ']': kind = TokenKind::kRBracket; break;
      case ',': kind = TokenKind::kComma; break;
      case '.': kind = TokenKind::kDot; break;
      case '+': kind = TokenKind::kPlus; break;
      case '-': kind = TokenKind::kMinus; break;
      case '=': kind = TokenKind::kEq; break;
      case '<':
        if (next == '>') {
          kind = TokenKind::kNe;
          len = 2;
        } else if (next == '=') {
          kind = TokenKind::kLe;
          len = 2;
        } else {
          kind = TokenKind::kLt;
        }
        break;
      case '>':
        if (next == '=') {
          kind = TokenKind::kGe;
          len = 2;
        } else {
          kind = TokenKind::kGt;
        }
        break;
      default: len = Utf8Length(text, i); break;
    }
    i += len;
    emit(kind, begin, i);
  }
  emit(TokenKind::kEnd, text.size(), text.size());
  return tokens;
}

bool IsKeyword(const Token& token, std::string_view upper) {
  if (token.kind != TokenKind::kName || token.text.size() != upper.size()) return false;
  for (size_t i = 0; i < upper.size(); ++i) {
    char c = token.text[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

std::string SyntaxErrorText(std::string_view text, const std::vector<Token>& tokens, size_t index) {
  // DynamoDB quotes the offending token and the source from the start of the token before
  // it to the end of the token after it ("a = = b" -> token "=", near "= = b").
  const Token& bad = tokens[index];
  bool at_end = bad.kind == TokenKind::kEnd;
  size_t from = index > 0 ? tokens[index - 1].begin : 0;
  size_t to = at_end ? text.size()
                     : (index + 1 < tokens.size() && tokens[index + 1].kind != TokenKind::kEnd
                            ? tokens[index + 1].end
                            : bad.end);
  std::string msg = "Syntax error; token: \"";
  msg += at_end ? std::string_view("<EOF>") : bad.text;
  msg += "\", near: \"";
  msg += text.substr(from, to - from);
  msg += "\"";
  return msg;
}

Status InvalidExpression(std::string_view kind, std::string_view message) {
  std::string msg = "Invalid ";
  msg += kind;
  msg += ": ";
  msg += message;
  return Status::InvalidArgument(std::move(msg));
}

Status CheckExpressionText(std::string_view text, std::string_view kind) {
  if (text.empty()) return InvalidExpression(kind, "The expression can not be empty;");
  if (text.size() > kMaxExpressionBytes) {
    // UpdateExpression's message carries no size; the others name it.
    if (kind == "UpdateExpression") {
      return InvalidExpression(kind, "Expression size has exceeded the maximum allowed size;");
    }
    return InvalidExpression(
        kind, "Expression size has exceeded the maximum allowed size; expression size: " +
                  std::to_string(text.size()));
  }
  return Status::Ok();
}

const char* CompareOpName(CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return "=";
    case CompareOp::kNe: return "<>";
    case CompareOp::kLt: return "<";
    case CompareOp::kLe: return "<=";
    case CompareOp::kGt: return ">";
    case CompareOp::kGe: return ">=";
  }
  return "=";
}

std::string PathToString(const Path& path) {
  std::string out = "[";
  for (size_t i = 0; i < path.size(); ++i) {
    if (i > 0) out += ", ";
    if (path[i].is_index()) {
      out += "[" + std::to_string(path[i].index) + "]";
    } else {
      out += path[i].name;
    }
  }
  out += "]";
  return out;
}

}  // namespace meridian::model::expr
