// Tokenizer and recursive-descent parser of PartiQL for DynamoDB (partiql.h).
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "model/partiql.h"

namespace meridian::model::partiql {
namespace {

constexpr int kMaxDepth = 64;  // nesting of parentheses, NOT, collections

// Internal to this file: unwinds to Parse(), which turns it into a Status.
struct SyntaxError {
  std::string message;
};

[[noreturn]] void Fail(std::string detail) {
  throw SyntaxError{"Statement wasn't well formed, can't be processed: " + std::move(detail)};
}

enum class Tok {
  kEnd,
  kIdent,
  kQuoted,
  kString,
  kNumber,
  kPunct,
  kParam,
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // identifiers as written; strings and quoted names unescaped
  size_t offset = 0;
};

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentPart(char c) {
  return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

// Reads a quoted token starting at text[i] (the quote); doubled quotes stand for one.
std::string ReadQuoted(std::string_view text, size_t* i, char quote) {
  std::string out;
  size_t j = *i + 1;
  for (;;) {
    if (j >= text.size())
      Fail(quote == '\'' ? "Unterminated string literal" : "Unterminated quoted identifier");
    if (text[j] == quote) {
      if (j + 1 < text.size() && text[j + 1] == quote) {
        out += quote;
        j += 2;
        continue;
      }
      break;
    }
    out += text[j++];
  }
  *i = j + 1;
  return out;
}

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {  // comment to end of line
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {  // block comment
      const size_t end = text.find("*/", i + 2);
      if (end == std::string_view::npos) Fail("");
      i = end + 2;
      continue;
    }
    Token t;
    t.offset = i;
    if (IsIdentStart(c)) {
      size_t j = i;
      while (j < text.size() && IsIdentPart(text[j])) ++j;
      t.kind = Tok::kIdent;
      t.text = std::string(text.substr(i, j - i));
      i = j;
    } else if (c == '"' || c == '\'') {
      t.kind = c == '"' ? Tok::kQuoted : Tok::kString;
      t.text = ReadQuoted(text, &i, c);
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < text.size() &&
                std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
      size_t j = i;
      while (j < text.size() &&
             (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.'))
        ++j;
      if (j < text.size() && (text[j] == 'e' || text[j] == 'E')) {
        size_t k = j + 1;
        if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
        if (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) {
          j = k;
          while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
        }
      }
      t.kind = Tok::kNumber;
      t.text = std::string(text.substr(i, j - i));
      i = j;
    } else if (c == '?') {
      t.kind = Tok::kParam;
      t.text = "?";
      ++i;
    } else {
      static constexpr std::string_view kTwo[] = {"<=", ">=", "<>", "!=", "<<", ">>", "||"};
      t.kind = Tok::kPunct;
      for (std::string_view two : kTwo) {
        if (text.substr(i, 2) == two) t.text = std::string(two);
      }
      if (t.text.empty()) {
        if (std::string_view("()[]{},.:*=<>+-;").find(c) == std::string_view::npos) {
          Fail("Unexpected character");
        }
        t.text = std::string(1, c);
      }
      i += t.text.size();
    }
    tokens.push_back(std::move(t));
  }
  tokens.push_back(Token{Tok::kEnd, "", text.size()});
  return tokens;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Words that cannot be unquoted attribute names.
bool IsKeyword(std::string_view word) {
  static constexpr std::string_view kWords[] = {
      "select",  "from",   "where",     "and",   "or",     "not",  "in",    "between", "is",
      "missing", "null",   "true",      "false", "insert", "into", "value", "update",  "set",
      "remove",  "delete", "returning", "order", "by",     "asc",  "desc",  "exists",  "values"};
  for (std::string_view k : kWords) {
    if (EqualsIgnoreCase(word, k)) return true;
  }
  return false;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : tokens_(Tokenize(text)) {}

  Statement ParseStatement() {
    Statement s;
    if (AcceptWord("select")) {
      ParseSelect(&s);
    } else if (AcceptWord("insert")) {
      ParseInsert(&s);
    } else if (AcceptWord("update")) {
      ParseUpdate(&s);
    } else if (AcceptWord("delete")) {
      ParseDelete(&s);
    } else if (AcceptWord("exists")) {
      Expect("(");
      ExpectWord("select");
      ParseSelect(&s);
      Expect(")");
      s.kind = Statement::Kind::kExists;
    } else {
      Fail("Expected data manipulation");
    }
    Accept(";");
    if (Peek().kind != Tok::kEnd) Fail("Unexpected token after expression");
    s.parameters = params_;
    return s;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Next() {
    const Token& t = Peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  bool IsPunct(std::string_view p, size_t ahead = 0) const {
    return Peek(ahead).kind == Tok::kPunct && Peek(ahead).text == p;
  }
  bool IsWord(std::string_view w, size_t ahead = 0) const {
    return Peek(ahead).kind == Tok::kIdent && EqualsIgnoreCase(Peek(ahead).text, w);
  }
  bool Accept(std::string_view p) {
    if (!IsPunct(p)) return false;
    Next();
    return true;
  }
  bool AcceptWord(std::string_view w) {
    if (!IsWord(w)) return false;
    Next();
    return true;
  }
  void Expect(std::string_view p) {
    if (!Accept(p)) Fail("Expected '" + std::string(p) + "' but found " + Describe(Peek()));
  }
  void ExpectWord(std::string_view w) {
    if (!AcceptWord(w)) Fail("Expected " + Upper(w) + " but found " + Describe(Peek()));
  }
  static std::string Upper(std::string_view w) {
    std::string s(w);
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  }
  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case Tok::kEnd: return "end of statement";
      case Tok::kQuoted: return "\"" + t.text + "\"";
      case Tok::kString: return "'" + t.text + "'";
      default: return t.text;
    }
  }

  struct DepthGuard {
    explicit DepthGuard(int* depth) : depth_(depth) {
      if (++*depth_ > kMaxDepth) Fail("Statement is nested too deeply");
    }
    ~DepthGuard() { --*depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    int* depth_;
  };

  // A table or attribute name: "quoted" or an unquoted non-keyword identifier.
  std::string Name(std::string_view what) {
    const Token& t = Peek();
    if (t.kind == Tok::kQuoted || (t.kind == Tok::kIdent && !IsKeyword(t.text))) {
      if (t.text.empty()) throw SyntaxError{"Path component cannot be an empty string"};
      return Next().text;
    }
    if (what == "table") Fail("Expected identifier for simple path");
    Fail("Expected " + std::string(what) + " name but found " + Describe(t));
  }

  std::string TableName() { return Name("table"); }

  // name ( . name | [ index ] | [ 'key' ] )*
  expr::Path ParsePath() {
    expr::Path path;
    path.push_back(expr::PathElement{Name("attribute"), -1});
    for (;;) {
      if (Accept(".")) {
        path.push_back(expr::PathElement{Name("attribute"), -1});
      } else if (IsPunct("[")) {
        Next();
        const Token& t = Next();
        if (t.kind == Tok::kNumber && t.text.find_first_not_of("0123456789") == std::string::npos &&
            t.text.size() <= 9) {
          path.push_back(expr::PathElement{"", std::stoi(t.text)});
        } else if (t.kind == Tok::kString) {
          if (t.text.empty()) Fail("Empty attribute name");
          path.push_back(expr::PathElement{t.text, -1});
        } else {
          Fail("Invalid path index: " + Describe(t));
        }
        Expect("]");
      } else {
        return path;
      }
    }
  }

  void ParseSelect(Statement* s) {
    s->kind = Statement::Kind::kSelect;
    if (!Accept("*")) {
      do {
        s->projection.push_back(ParsePath());
      } while (Accept(","));
    }
    ExpectWord("from");
    s->table = TableName();
    if (Accept(".")) s->index = Name("index");
    if (IsPunct("."))
      throw SyntaxError{"A path may contain at most 2 components in the FROM clause"};
    if (IsWord("as") || Peek().kind == Tok::kQuoted ||
        (Peek().kind == Tok::kIdent && !IsKeyword(Peek().text))) {
      throw SyntaxError{"Aliasing is not supported"};
    }
    if (AcceptWord("where")) s->where = ParseOr();
    if (AcceptWord("order")) {
      ExpectWord("by");
      s->order_by = ParsePath();
      if (AcceptWord("desc")) {
        s->descending = true;
      } else {
        AcceptWord("asc");
      }
    }
  }

  void ParseInsert(Statement* s) {
    s->kind = Statement::Kind::kInsert;
    ExpectWord("into");
    s->table = TableName();
    if (!AcceptWord("value")) {
      if (IsWord("values")) {
        throw SyntaxError{
            "Unsupported operation: Inserting multiple items in a single statement is not "
            "supported, use \"INSERT INTO tableName VALUE item\" instead"};
      }
      Fail("Unexpected keyword");
    }
    s->value = ParseValue();
    if (s->value.kind != Expr::Kind::kMap && s->value.kind != Expr::Kind::kParam) {
      throw SyntaxError{
          "Unsupported format in item expression. Please use struct format {...} to express "
          "item values for insert statement."};
    }
    if (IsWord("returning")) throw SyntaxError{"RETURNING is not supported in INSERT"};
  }

  void ParseUpdate(Statement* s) {
    s->kind = Statement::Kind::kUpdate;
    s->table = TableName();
    bool any = false;
    for (;;) {
      if (AcceptWord("set")) {
        do {
          SetAction a;
          a.path = ParsePath();
          Expect("=");
          a.value = ParseSum();
          s->sets.push_back(std::move(a));
        } while (Accept(","));
        any = true;
      } else if (AcceptWord("remove")) {
        do {
          s->removes.push_back(ParsePath());
        } while (Accept(","));
        any = true;
      } else {
        break;
      }
    }
    if (!any) Fail("Expected SET or REMOVE but found " + Describe(Peek()));
    ExpectWord("where");
    s->where = ParseOr();
    ParseReturning(s, true);
  }

  void ParseDelete(Statement* s) {
    s->kind = Statement::Kind::kDelete;
    ExpectWord("from");
    s->table = TableName();
    ExpectWord("where");
    s->where = ParseOr();
    ParseReturning(s, false);
  }

  void ParseReturning(Statement* s, bool update) {
    if (!AcceptWord("returning")) return;
    const bool all = AcceptWord("all");
    if (!all && !AcceptWord("modified")) Fail("Expected ALL or MODIFIED after RETURNING");
    const bool is_new = AcceptWord("new");
    if (!is_new && !AcceptWord("old"))
      Fail("Expected OLD or NEW after RETURNING " + std::string(all ? "ALL" : "MODIFIED"));
    if (!Accept("*")) {
      throw SyntaxError{"Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"};
    }
    if (!update && !(all && !is_new)) {
      throw SyntaxError{"Invalid returning clause: RETURNING " +
                        std::string(all ? "ALL " : "MODIFIED ") + (is_new ? "NEW" : "OLD") +
                        " *. Only RETURNING ALL OLD * is allowed in DELETE statements."};
    }
    s->returning = std::string(all ? "ALL_" : "UPDATED_") + (is_new ? "NEW" : "OLD");
  }

  // ---- conditions ----
  Cond ParseOr() {
    DepthGuard guard(&depth_);
    Cond left = ParseAnd();
    if (!IsWord("or")) return left;
    Cond out;
    out.kind = Cond::Kind::kOr;
    out.children.push_back(std::move(left));
    while (AcceptWord("or")) {
      if (Peek().kind == Tok::kEnd) Fail("Missing right-hand side expression of infix operator");
      out.children.push_back(ParseAnd());
    }
    return out;
  }

  Cond ParseAnd() {
    Cond left = ParseNot();
    if (!IsWord("and")) return left;
    Cond out;
    out.kind = Cond::Kind::kAnd;
    out.children.push_back(std::move(left));
    while (AcceptWord("and")) {
      if (Peek().kind == Tok::kEnd) Fail("Missing right-hand side expression of infix operator");
      out.children.push_back(ParseNot());
    }
    return out;
  }

  Cond ParseNot() {
    if (AcceptWord("not")) {
      DepthGuard guard(&depth_);
      Cond out;
      out.kind = Cond::Kind::kNot;
      out.children.push_back(ParseNot());
      return out;
    }
    return ParsePredicate();
  }

  static bool IsBooleanFunction(const std::string& name) {
    return name == "begins_with" || name == "contains" || name == "attribute_type" ||
           name == "attribute_exists" || name == "attribute_not_exists";
  }

  Cond ParsePredicate() {
    if (Accept("(")) {
      Cond inner = ParseOr();
      Expect(")");
      return inner;
    }
    if (Peek().kind == Tok::kIdent && IsPunct("(", 1) && IsBooleanFunction(Lower(Peek().text))) {
      Cond out;
      out.kind = Cond::Kind::kCall;
      out.op = Lower(Next().text);
      Expect("(");
      if (!IsPunct(")")) {
        do {
          out.operands.push_back(ParseValue());
        } while (Accept(","));
      }
      Expect(")");
      return out;
    }
    if (IsWord("true") || IsWord("false")) {
      // A bare boolean, unless it is the left operand of a comparison.
      const bool compared = Peek(1).kind == Tok::kPunct && IsComparison(Peek(1).text);
      if (!compared) {
        Cond out;
        out.kind = Cond::Kind::kValue;
        out.operands.push_back(ParseValue());
        return out;
      }
    }
    Expr left = ParseValue();
    Cond out;
    out.operands.push_back(std::move(left));
    if (Peek().kind == Tok::kPunct && IsComparison(Peek().text)) {
      out.kind = Cond::Kind::kCompare;
      out.op = Next().text;
      if (out.op == "!=") out.op = "<>";
      out.operands.push_back(ParseValue());
      return out;
    }
    const bool negated = AcceptWord("not");
    if (AcceptWord("between")) {
      out.kind = Cond::Kind::kBetween;
      out.operands.push_back(ParseValue());
      ExpectWord("and");
      out.operands.push_back(ParseValue());
    } else if (AcceptWord("in")) {
      out.kind = Cond::Kind::kIn;
      const bool bracket = Accept("[");
      if (!bracket) Expect("(");
      do {
        out.operands.push_back(ParseValue());
      } while (Accept(","));
      Expect(bracket ? "]" : ")");
    } else if (!negated && AcceptWord("is")) {
      const bool is_not = AcceptWord("not");
      if (AcceptWord("missing")) {
        out.kind = Cond::Kind::kIsMissing;
      } else if (AcceptWord("null")) {
        out.kind = Cond::Kind::kIsNull;
      } else {
        Fail("Expected MISSING or NULL after IS but found " + Describe(Peek()));
      }
      return is_not ? Negate(std::move(out)) : out;
    } else {
      Fail("Unexpected token after expression");
    }
    return negated ? Negate(std::move(out)) : out;
  }

  static bool IsComparison(std::string_view p) {
    return p == "=" || p == "<>" || p == "!=" || p == "<" || p == "<=" || p == ">" || p == ">=";
  }

  static Cond Negate(Cond c) {
    Cond out;
    out.kind = Cond::Kind::kNot;
    out.children.push_back(std::move(c));
    return out;
  }

  // ---- values ----
  // value ((+ | -) value)* : arithmetic of UPDATE's SET.
  Expr ParseSum() {
    Expr left = ParseValue();
    while (IsPunct("+") || IsPunct("-")) {
      Expr out;
      out.kind = Next().text == "+" ? Expr::Kind::kAdd : Expr::Kind::kSub;
      out.args.push_back(std::move(left));
      out.args.push_back(ParseValue());
      left = std::move(out);
    }
    return left;
  }

  Expr ParseValue() {
    DepthGuard guard(&depth_);
    Expr e;
    const Token& t = Peek();
    if (t.kind == Tok::kString) {
      e.literal = AttributeValue::S(Next().text);
      return e;
    }
    if (t.kind == Tok::kNumber || (IsPunct("-") && Peek(1).kind == Tok::kNumber)) {
      std::string text;
      if (Accept("-")) text = "-";
      text += Next().text;
      auto n = Number::Parse(text);
      if (!n.ok()) Fail("Invalid number literal " + text + ": " + n.status().message());
      e.literal = AttributeValue::N(*n);
      return e;
    }
    if (t.kind == Tok::kParam) {
      Next();
      e.kind = Expr::Kind::kParam;
      e.param = params_++;
      return e;
    }
    if (t.kind == Tok::kIdent) {
      if (IsWord("true") || IsWord("false")) {
        e.literal = AttributeValue::Bool(IsWord("true"));
        Next();
        return e;
      }
      if (AcceptWord("null")) {
        e.literal = AttributeValue::Null();
        return e;
      }
      if (AcceptWord("missing")) {
        e.kind = Expr::Kind::kMissing;
        return e;
      }
      if (IsPunct("(", 1)) {  // function call
        e.kind = Expr::Kind::kCall;
        e.function = Lower(Next().text);
        Expect("(");
        if (!IsPunct(")")) {
          do {
            e.args.push_back(ParseSum());
          } while (Accept(","));
        }
        Expect(")");
        return e;
      }
    }
    if (t.kind == Tok::kIdent || t.kind == Tok::kQuoted) {
      e.kind = Expr::Kind::kPath;
      e.path = ParsePath();
      return e;
    }
    if (Accept("[")) {
      e.kind = Expr::Kind::kList;
      if (!Accept("]")) {
        do {
          e.args.push_back(ParseValue());
        } while (Accept(","));
        Expect("]");
      }
      return e;
    }
    if (Accept("<<")) {
      e.kind = Expr::Kind::kSet;
      if (IsPunct(">>")) throw SyntaxError{"Empty bags are not supported"};
      do {
        e.args.push_back(ParseValue());
      } while (Accept(","));
      Expect(">>");
      return e;
    }
    if (Accept("{")) {
      e.kind = Expr::Kind::kMap;
      if (!Accept("}")) {
        do {
          const Token& key = Next();
          if (key.kind != Tok::kString && key.kind != Tok::kQuoted)
            Fail("Map keys must be string literals, found " + Describe(key));
          e.keys.push_back(key.text);
          Expect(":");
          e.args.push_back(ParseValue());
        } while (Accept(","));
        Expect("}");
      }
      return e;
    }
    Fail("Unexpected term");
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int params_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<Statement> Parse(std::string_view text) {
  try {
    return Parser(text).ParseStatement();
  } catch (const SyntaxError& e) {
    return Status::InvalidArgument(e.message);
  }
}

std::string PathText(const expr::Path& path) {
  return RenderPath(path, [](const std::string& name) { return name; });
}

Result<AttributeValue> Bind(const Expr& e, const std::vector<AttributeValue>& parameters) {
  switch (e.kind) {
    case Expr::Kind::kLiteral: return e.literal;
    case Expr::Kind::kParam:
      if (e.param < 0 || static_cast<size_t>(e.param) >= parameters.size())  // never: checked
        return Status::InvalidArgument(
            "Number of parameters in request and statement don't match.");
      return parameters[static_cast<size_t>(e.param)];
    case Expr::Kind::kList: {
      AttributeValue::List list;
      for (const Expr& el : e.args) {
        auto v = Bind(el, parameters);
        if (!v.ok()) return v.status();
        list.push_back(std::move(*v));
      }
      return AttributeValue::L(std::move(list));
    }
    case Expr::Kind::kMap: {
      AttributeValue::Map map;
      for (size_t i = 0; i < e.args.size(); ++i) {
        auto v = Bind(e.args[i], parameters);
        if (!v.ok()) return v.status();
        if (!map.emplace(e.keys[i], std::move(*v)).second)
          return Status::InvalidArgument("Duplicate map key: " + e.keys[i]);
      }
      return AttributeValue::M(std::move(map));
    }
    case Expr::Kind::kSet: {
      std::vector<std::string> strings;
      std::vector<Number> numbers;
      AttrType type = AttrType::kNull;
      for (const Expr& el : e.args) {
        auto v = Bind(el, parameters);
        if (!v.ok()) return v.status();
        if (type == AttrType::kNull) type = v->type();
        if (v->type() != type || !v->is_scalar_key_type()) {
          return Status::InvalidArgument(
              "Unsupported data type in Bag. DynamoDB only supports either numbers or strings "
              "in bags");
        }
        if (type == AttrType::kN) {
          numbers.push_back(v->n());
        } else {
          strings.push_back(type == AttrType::kS ? v->s() : v->b());
        }
      }
      if (type == AttrType::kN) return AttributeValue::NS(std::move(numbers));
      return type == AttrType::kS ? AttributeValue::SS(std::move(strings))
                                  : AttributeValue::BS(std::move(strings));
    }
    default:
      return Status::InvalidArgument(
          "Statement wasn't well formed, can't be processed: expected a value");
  }
}

}  // namespace meridian::model::partiql
