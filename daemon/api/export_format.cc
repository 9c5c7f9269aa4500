#include "daemon/api/export_format.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <unordered_set>

#include "common/base64.h"
#include "common/check.h"
#include "daemon/api/api_error.h"
#include "daemon/api/json_codec.h"
#include "daemon/api/json_writer.h"
#include "security/crypto.h"

namespace meridian::api {
namespace {

using model::AttributeValue;
using model::AttrType;
using model::Number;

// DynamoDB's 32 levels of nesting, counted as json_codec counts them: a top-level attribute
// is at depth 1 and a map or list may only be opened below depth 32.
constexpr int kMaxNesting = 32;
constexpr char kTooDeep[] =
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels "
    "beyond supported limit";
// JSON depth of the deepest legal line: {"Item":{"a":{"M":{"b":{"M":... two JSON levels per
// DynamoDB level, plus the wrapper, the item and the innermost value.
constexpr int kMaxJsonDepth = 2 * kMaxNesting + 8;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    // The lead byte gives the length and the first bits; `min` is the smallest code point of
    // that length (anything below is an overlong form).
    const size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0) return false;
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    const uint32_t min = kMin[len];
    uint32_t cp = c & (0x7Fu >> len);
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// REQUIRES: cp <= 0x10FFFF and not a surrogate.
void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

Status CheckName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("Empty attribute name");
  if (name.size() > kMaxAttributeNameBytes) {
    return Status::InvalidArgument("Attribute name is too large, must be less than 65536 bytes");
  }
  return Status::Ok();
}

// A set built from `count` decoded elements, or DynamoDB's error for an empty set or one with
// duplicates (the wording of json_codec's).
Result<AttributeValue> MakeSet(AttrType type, std::vector<std::string> strings,
                               std::vector<Number> numbers) {
  const size_t count = type == AttrType::kNS ? numbers.size() : strings.size();
  const char* word = type == AttrType::kSS ? "string" : type == AttrType::kNS ? "number" : "binary";
  if (count == 0) {
    return Status::InvalidArgument(std::string("One or more parameter values were invalid: An ") +
                                   word + " set  may not be empty");
  }
  std::string listing;
  for (const auto& s : strings) {
    listing += (listing.empty() ? "" : ", ") + (type == AttrType::kBS ? Base64Encode(s) : s);
  }
  for (const auto& n : numbers) listing += (listing.empty() ? "" : ", ") + n.ToString();
  AttributeValue set = type == AttrType::kSS   ? AttributeValue::SS(std::move(strings))
                       : type == AttrType::kNS ? AttributeValue::NS(std::move(numbers))
                                               : AttributeValue::BS(std::move(strings));
  if (set.set_size() != count) {
    return Status::InvalidArgument("One or more parameter values were invalid: Input collection [" +
                                   listing + "] contains duplicates.");
  }
  return set;
}

// ---- Ion text writer ----------------------------------------------------------------------

bool IsIdentifierStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}
bool IsIdentifierChar(char c) { return IsIdentifierStart(c) || IsDigit(c); }

// "$12": a symbol id, which refers to a symbol table instead of naming itself.
bool IsSymbolId(std::string_view s) {
  return s.size() > 1 && s[0] == '$' && std::all_of(s.begin() + 1, s.end(), IsDigit);
}

// Whether `s` may be written as a bare identifier symbol.
bool IsBareSymbol(std::string_view s) {
  if (s.empty() || !IsIdentifierStart(s[0])) return false;
  if (!std::all_of(s.begin(), s.end(), IsIdentifierChar)) return false;
  if (s == "null" || s == "true" || s == "false" || s == "nan") return false;
  return !IsSymbolId(s);
}

constexpr char kHex[] = "0123456789abcdef";

// `s` quoted with `quote` ('"' string, '\'' symbol). Control characters are escaped (\xHH is
// the code point U+00HH, the same character); UTF-8 passes through.
void AppendIonQuoted(std::string_view s, char quote, std::string* out) {
  out->push_back(quote);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == quote || ch == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (ch == '\n') {
      out->append("\\n");
    } else if (ch == '\t') {
      out->append("\\t");
    } else if (ch == '\r') {
      out->append("\\r");
    } else if (c < 0x20 || c == 0x7F) {
      const char esc[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
      out->append(esc, sizeof esc);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back(quote);
}

void AppendIonSymbol(std::string_view s, std::string* out) {
  if (IsBareSymbol(s)) {
    out->append(s);
  } else {
    AppendIonQuoted(s, '\'', out);
  }
}

// A Number as ion-java prints a BigDecimal with the same digits and exponent (DynamoDB's
// numbers have no trailing zeros, so 600 is 6d2 as in DynamoDB's documentation).
void AppendIonDecimal(const Number& n, std::string* out) {
  if (n.is_zero()) {
    out->append("0.");
    return;
  }
  if (n.negative()) out->push_back('-');
  const std::string& digits = n.digits();
  const int exponent = n.exponent();
  if (exponent >= 0) {
    out->append(digits);
    if (exponent == 0) {
      out->push_back('.');
    } else {
      out->push_back('d');
      out->append(std::to_string(exponent));
    }
    return;
  }
  const size_t scale = static_cast<size_t>(-static_cast<int64_t>(exponent));
  if (digits.size() > scale) {
    const size_t whole = digits.size() - scale;
    out->append(digits, 0, whole);
    out->push_back('.');
    out->append(digits, whole);
    return;
  }
  out->push_back(digits[0]);
  if (digits.size() > 1) {
    out->push_back('.');
    out->append(digits, 1);
  }
  out->append("d-");
  out->append(std::to_string(scale - digits.size() + 1));
}

void AppendIonBlob(std::string_view bytes, std::string* out) {
  out->append("{{");
  out->append(Base64Encode(bytes));
  out->append("}}");
}

void AppendIonStruct(const AttributeValue::Map& map, std::string* out);

void AppendIonValue(const AttributeValue& v, std::string* out) {
  switch (v.type()) {
    case AttrType::kS: AppendIonQuoted(v.s(), '"', out); break;
    case AttrType::kN: AppendIonDecimal(v.n(), out); break;
    case AttrType::kB: AppendIonBlob(v.b(), out); break;
    case AttrType::kBool: out->append(v.boolean() ? "true" : "false"); break;
    case AttrType::kNull: out->append("null"); break;
    case AttrType::kM: AppendIonStruct(v.m(), out); break;
    case AttrType::kL: {
      out->push_back('[');
      for (size_t i = 0; i < v.l().size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendIonValue(v.l()[i], out);
      }
      out->push_back(']');
      break;
    }
    case AttrType::kSS:
    case AttrType::kBS: {
      const bool binary = v.type() == AttrType::kBS;
      out->append(binary ? "$dynamodb_BS::[" : "$dynamodb_SS::[");
      for (size_t i = 0; i < v.ss().size(); ++i) {
        if (i > 0) out->push_back(',');
        if (binary) {
          AppendIonBlob(v.bs()[i], out);
        } else {
          AppendIonQuoted(v.ss()[i], '"', out);
        }
      }
      out->push_back(']');
      break;
    }
    case AttrType::kNS: {
      out->append("$dynamodb_NS::[");
      for (size_t i = 0; i < v.ns().size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendIonDecimal(v.ns()[i], out);
      }
      out->push_back(']');
      break;
    }
  }
}

void AppendIonStruct(const AttributeValue::Map& map, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const auto& [name, value] : map) {
    if (!first) out->push_back(',');
    first = false;
    AppendIonSymbol(name, out);
    out->push_back(':');
    AppendIonValue(value, out);
  }
  out->push_back('}');
}

// ---- Ion text reader ----------------------------------------------------------------------

// Ion's integer syntax in another radix (digits already stripped of the 0x/0b prefix and of
// '_'), in decimal. Values that cannot be DynamoDB numbers anyway stop early.
Result<std::string> RadixToDecimal(std::string_view digits, unsigned base) {
  const size_t first = digits.find_first_not_of('0');
  if (first == std::string_view::npos) return std::string("0");
  digits.remove_prefix(first);
  // 16^128 and 2^512 are far above DynamoDB's 1E126.
  if (digits.size() > (base == 16 ? 128U : 512U)) {
    return Status::InvalidArgument(
        "Number overflow. Attempting to store a number with magnitude larger than supported "
        "range");
  }
  std::vector<uint8_t> decimal;  // least significant digit first
  for (const char c : digits) {
    unsigned carry =
        IsDigit(c) ? static_cast<unsigned>(c - '0') : static_cast<unsigned>((c | 0x20) - 'a' + 10);
    for (uint8_t& d : decimal) {
      const unsigned v = d * base + carry;
      d = static_cast<uint8_t>(v % 10);
      carry = v / 10;
    }
    for (; carry > 0; carry /= 10) decimal.push_back(static_cast<uint8_t>(carry % 10));
  }
  std::string out;
  out.reserve(decimal.size());
  for (auto it = decimal.rbegin(); it != decimal.rend(); ++it)
    out.push_back(static_cast<char>('0' + *it));
  return out;
}

class IonReader {
 public:
  explicit IonReader(std::string_view text) : text_(text) {}

  Status ReadLine(model::Item* item);

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool LookingAt(std::string_view s) const {
    return text_.size() - pos_ >= s.size() && text_.compare(pos_, s.size(), s) == 0;
  }
  Status Error(std::string_view what) const { return ErrorAt(what, pos_); }
  static Status ErrorAt(std::string_view what, size_t at) {
    return Status::InvalidArgument("Invalid Ion: " + std::string(what) + " at offset " +
                                   std::to_string(at));
  }

  Status SkipSpace();
  // After a container element: skips a ',' (and the space after it), or checks that `close`
  // is next.
  Status AfterElement(char close);
  std::string_view ReadIdentifier();
  Status ReadFieldName(std::string* name);
  Status ReadStruct(int depth, AttributeValue::Map* out);  // after '{'
  Status ReadList(int depth, AttributeValue::List* out);   // after '['
  Status ReadSet(AttrType type, AttributeValue* out);      // after '['
  Status ReadValue(int depth, AttributeValue* out);
  Status ReadKeyword(AttributeValue* out);
  Status ReadNumber(Number* out);
  Status ReadQuoted(char quote, std::string* out);  // at the opening quote
  Status ReadLongStrings(std::string* out);         // at '''
  Status ReadEscape(std::string* out);              // after the backslash
  Status ReadHexCodePoint(size_t digits, uint32_t* cp);
  Status ReadBlob(std::string* out);  // at {{

  std::string_view text_;
  size_t pos_ = 0;  // <= text_.size()
};

Status IonReader::SkipSpace() {
  while (!AtEnd()) {
    const char c = text_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      ++pos_;
    } else if (c == '/' && Peek(1) == '/') {
      const size_t nl = text_.find('\n', pos_);
      pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
    } else if (c == '/' && Peek(1) == '*') {
      const size_t end = text_.find("*/", pos_ + 2);
      if (end == std::string_view::npos) return Error("unterminated comment");
      pos_ = end + 2;
    } else {
      break;
    }
  }
  return Status::Ok();
}

std::string_view IonReader::ReadIdentifier() {
  const size_t start = pos_;
  if (IsIdentifierStart(Peek())) {
    while (!AtEnd() && IsIdentifierChar(text_[pos_])) ++pos_;
  }
  return text_.substr(start, pos_ - start);
}

Status IonReader::ReadLine(model::Item* item) {
  MERIDIAN_RETURN_IF_ERROR(SkipSpace());
  while (Peek() == '$') {
    const size_t start = pos_;
    const std::string_view symbol = ReadIdentifier();
    if (symbol != "$ion_1_0") {
      return ErrorAt(
          "expected the version marker $ion_1_0 or a struct (symbol tables and other "
          "Ion versions are not supported)",
          start);
    }
    MERIDIAN_RETURN_IF_ERROR(SkipSpace());
  }
  if (Peek() != '{' || Peek(1) == '{') return Error("expected a struct {Item:{...}}");
  ++pos_;
  MERIDIAN_RETURN_IF_ERROR(SkipSpace());
  bool have_item = false;
  while (Peek() != '}') {
    const size_t field_at = pos_;
    std::string name;
    MERIDIAN_RETURN_IF_ERROR(ReadFieldName(&name));
    if (name != "Item") return ErrorAt("unexpected field (the line holds only Item)", field_at);
    if (have_item) return ErrorAt("Item appears twice", field_at);
    MERIDIAN_RETURN_IF_ERROR(SkipSpace());
    if (Peek() != ':') return Error("expected ':'");
    ++pos_;
    MERIDIAN_RETURN_IF_ERROR(SkipSpace());
    if (Peek() != '{' || Peek(1) == '{') return Error("Item must be a struct");
    ++pos_;
    MERIDIAN_RETURN_IF_ERROR(ReadStruct(1, item));
    have_item = true;
    MERIDIAN_RETURN_IF_ERROR(AfterElement('}'));
  }
  ++pos_;
  if (!have_item) return Error("missing field Item");
  MERIDIAN_RETURN_IF_ERROR(SkipSpace());
  if (!AtEnd()) return Error("unexpected text after the item");
  return Status::Ok();
}

Status IonReader::ReadFieldName(std::string* name) {
  const char c = Peek();
  if (c == '"') return ReadQuoted('"', name);
  if (c == '\'') return LookingAt("'''") ? ReadLongStrings(name) : ReadQuoted('\'', name);
  if (IsIdentifierStart(c)) {
    const std::string_view symbol = ReadIdentifier();
    if (IsSymbolId(symbol)) return Error("symbol ids are not supported");
    name->assign(symbol);
    return Status::Ok();
  }
  return Error("expected a field name");
}

Status IonReader::ReadStruct(int depth, AttributeValue::Map* out) {
  MERIDIAN_RETURN_IF_ERROR(SkipSpace());
  AttributeValue::Map::sequence_type members;
  std::vector<size_t> positions;
  while (Peek() != '}') {
    positions.push_back(pos_);
    std::string name;
    MERIDIAN_RETURN_IF_ERROR(ReadFieldName(&name));
    MERIDIAN_RETURN_IF_ERROR(CheckName(name));
    MERIDIAN_RETURN_IF_ERROR(SkipSpace());
    if (Peek() != ':') return Error("expected ':'");
    ++pos_;
    MERIDIAN_RETURN_IF_ERROR(SkipSpace());
    AttributeValue value;
    MERIDIAN_RETURN_IF_ERROR(ReadValue(depth, &value));
    members.emplace_back(std::move(name), std::move(value));
    MERIDIAN_RETURN_IF_ERROR(AfterElement('}'));
  }
  ++pos_;
  // Sorted by name once: a repeated name is an error at its second occurrence, and the map
  // takes the members in that order (MapFromMembers finds them sorted).
  std::vector<size_t> order(members.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return members[a].first < members[b].first; });
  AttributeValue::Map::sequence_type sorted;
  sorted.reserve(members.size());
  for (size_t k = 0; k < order.size(); ++k) {
    if (k > 0 && members[order[k]].first == sorted.back().first) {
      return ErrorAt("duplicate field name", positions[order[k]]);
    }
    sorted.push_back(std::move(members[order[k]]));
  }
  *out = model::MapFromMembers(std::move(sorted));
  return Status::Ok();
}

Status IonReader::AfterElement(char close) {
  MERIDIAN_RETURN_IF_ERROR(SkipSpace());
  if (Peek() == ',') {
    ++pos_;
    return SkipSpace();
  }
  if (Peek() != close) return Error(std::string("expected ',' or '") + close + "'");
  return Status::Ok();
}

Status IonReader::ReadList(int depth, AttributeValue::List* out) {
  MERIDIAN_RETURN_IF_ERROR(SkipSpace());
  while (Peek() != ']') {
    AttributeValue value;
    MERIDIAN_RETURN_IF_ERROR(ReadValue(depth, &value));
    out->push_back(std::move(value));
    MERIDIAN_RETURN_IF_ERROR(AfterElement(']'));
  }
  ++pos_;
  return Status::Ok();
}

// Elements are read directly (no annotations, no containers), so sets never recurse.
Status IonReader::ReadSet(AttrType type, AttributeValue* out) {
  std::vector<std::string> strings;
  std::vector<Number> numbers;
  MERIDIAN_RETURN_IF_ERROR(SkipSpace());
  while (Peek() != ']') {
    if (type == AttrType::kNS) {
      if (!IsDigit(Peek()) && Peek() != '-' && Peek() != '+') {
        return Error("a $dynamodb_NS element must be a number");
      }
      MERIDIAN_RETURN_IF_ERROR(ReadNumber(&numbers.emplace_back()));
    } else if (type == AttrType::kSS) {
      if (Peek() == '"') {
        MERIDIAN_RETURN_IF_ERROR(ReadQuoted('"', &strings.emplace_back()));
      } else if (LookingAt("'''")) {
        MERIDIAN_RETURN_IF_ERROR(ReadLongStrings(&strings.emplace_back()));
      } else {
        return Error("a $dynamodb_SS element must be a string");
      }
    } else {
      if (!LookingAt("{{")) return Error("a $dynamodb_BS element must be a blob");
      MERIDIAN_RETURN_IF_ERROR(ReadBlob(&strings.emplace_back()));
    }
    MERIDIAN_RETURN_IF_ERROR(AfterElement(']'));
  }
  ++pos_;
  Result<AttributeValue> set = MakeSet(type, std::move(strings), std::move(numbers));
  if (!set.ok()) return set.status();
  *out = std::move(set).value();
  return Status::Ok();
}

Status IonReader::ReadValue(int depth, AttributeValue* out) {
  // Annotations: symbol '::' value. Only DynamoDB's set annotations mean anything here.
  std::optional<AttrType> set_type;
  while (true) {
    const size_t start = pos_;
    std::string symbol;
    if (IsIdentifierStart(Peek())) {
      symbol = ReadIdentifier();
    } else if (Peek() == '\'' && !LookingAt("'''")) {
      MERIDIAN_RETURN_IF_ERROR(ReadQuoted('\'', &symbol));
    } else {
      break;
    }
    MERIDIAN_RETURN_IF_ERROR(SkipSpace());
    if (!LookingAt("::")) {
      pos_ = start;
      break;
    }
    if (set_type) return ErrorAt("more than one annotation", start);
    if (symbol == "$dynamodb_SS") {
      set_type = AttrType::kSS;
    } else if (symbol == "$dynamodb_NS") {
      set_type = AttrType::kNS;
    } else if (symbol == "$dynamodb_BS") {
      set_type = AttrType::kBS;
    } else {
      return ErrorAt("unsupported annotation (only $dynamodb_SS, $dynamodb_NS, $dynamodb_BS)",
                     start);
    }
    pos_ += 2;
    MERIDIAN_RETURN_IF_ERROR(SkipSpace());
  }
  if (set_type) {
    if (Peek() != '[') return Error("a set annotation must annotate a list");
    ++pos_;
    return ReadSet(*set_type, out);
  }

  const char c = Peek();
  if (c == '{' && Peek(1) == '{') {
    std::string bytes;
    MERIDIAN_RETURN_IF_ERROR(ReadBlob(&bytes));
    *out = AttributeValue::B(std::move(bytes));
    return Status::Ok();
  }
  if (c == '{' || c == '[') {
    if (depth >= kMaxNesting) return Status::InvalidArgument(kTooDeep);
    ++pos_;
    if (c == '{') {
      AttributeValue::Map map;
      MERIDIAN_RETURN_IF_ERROR(ReadStruct(depth + 1, &map));
      *out = AttributeValue::M(std::move(map));
    } else {
      AttributeValue::List list;
      MERIDIAN_RETURN_IF_ERROR(ReadList(depth + 1, &list));
      *out = AttributeValue::L(std::move(list));
    }
    return Status::Ok();
  }
  if (c == '"' || LookingAt("'''")) {
    std::string s;
    MERIDIAN_RETURN_IF_ERROR(c == '"' ? ReadQuoted('"', &s) : ReadLongStrings(&s));
    *out = AttributeValue::S(std::move(s));
    return Status::Ok();
  }
  if (c == '\'') return Error("symbol values are not supported");
  if (c == '(') return Error("s-expressions are not supported");
  if (IsDigit(c) || c == '-' || c == '+') {
    Number n;
    MERIDIAN_RETURN_IF_ERROR(ReadNumber(&n));
    *out = AttributeValue::N(std::move(n));
    return Status::Ok();
  }
  if (IsIdentifierStart(c)) return ReadKeyword(out);
  return Error(AtEnd() ? "expected a value" : "unexpected character");
}

Status IonReader::ReadKeyword(AttributeValue* out) {
  const size_t start = pos_;
  const std::string_view word = ReadIdentifier();
  if (word == "true" || word == "false") {
    *out = AttributeValue::Bool(word == "true");
    return Status::Ok();
  }
  if (word == "null") {
    if (Peek() == '.') {
      ++pos_;
      if (ReadIdentifier() != "null") {
        return ErrorAt("typed nulls other than null.null are not supported", start);
      }
    }
    *out = AttributeValue::Null();
    return Status::Ok();
  }
  if (word == "nan") return ErrorAt("nan is not a number DynamoDB can store", start);
  return ErrorAt("symbol values are not supported", start);
}

// Appends a run of digits with single '_' between digits (Ion's digit groups) to *out.
// Returns the number of digits, or -1 for a misplaced '_'.
int AppendDigitRun(std::string_view s, size_t* i, bool (*is_digit)(char), std::string* out) {
  int count = 0;
  while (*i < s.size()) {
    const char c = s[*i];
    if (is_digit(c)) {
      out->push_back(c);
      ++count;
      ++*i;
    } else if (c == '_' && count > 0 && *i + 1 < s.size() && is_digit(s[*i + 1])) {
      ++*i;
    } else if (c == '_') {
      return -1;
    } else {
      break;
    }
  }
  return count;
}

bool IsHexDigit(char c) { return IsDigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
bool IsBinaryDigit(char c) { return c == '0' || c == '1'; }

bool IsNumericStop(char c) {
  return c != '\0' && std::string_view(" \t\n\r\v\f{}[](),\"'/").find(c) != std::string_view::npos;
}

Status IonReader::ReadNumber(Number* out) {
  const size_t start = pos_;
  while (!AtEnd() && !IsNumericStop(text_[pos_])) ++pos_;
  const std::string_view token = text_.substr(start, pos_ - start);
  auto invalid = [&] { return ErrorAt("invalid number", start); };
  if (token == "+inf" || token == "-inf") {
    return ErrorAt("infinity is not a number DynamoDB can store", start);
  }
  size_t i = 0;
  std::string text;
  if (token.starts_with('-')) {
    text.push_back('-');
    ++i;
  }
  if (i == token.size() || !IsDigit(token[i])) return invalid();
  // A timestamp starts with a four-digit year and '-' or 'T' (2007-02-23, 2007T).
  if (token.size() - i > 4 && std::all_of(token.begin() + i, token.begin() + i + 4, IsDigit) &&
      (token[i + 4] == '-' || token[i + 4] == 'T')) {
    return ErrorAt("timestamps are not supported", start);
  }
  if (token[i] == '0' && i + 1 < token.size() &&
      ((token[i + 1] | 0x20) == 'x' || (token[i + 1] | 0x20) == 'b')) {
    const bool hex = (token[i + 1] | 0x20) == 'x';
    i += 2;
    std::string digits;
    if (AppendDigitRun(token, &i, hex ? IsHexDigit : IsBinaryDigit, &digits) <= 0 ||
        i != token.size()) {
      return invalid();
    }
    Result<std::string> decimal = RadixToDecimal(digits, hex ? 16 : 2);
    if (!decimal.ok()) return decimal.status();
    text += *decimal;
  } else {
    // Integer part: 0 or a digit run without a leading zero.
    if (token[i] == '0' && i + 1 < token.size() && (IsDigit(token[i + 1]) || token[i + 1] == '_')) {
      return invalid();
    }
    if (AppendDigitRun(token, &i, IsDigit, &text) <= 0) return invalid();
    if (i < token.size() && token[i] == '.') {
      text.push_back('.');
      ++i;
      if (AppendDigitRun(token, &i, IsDigit, &text) < 0) return invalid();
    }
    if (i < token.size() &&
        (token[i] == 'd' || token[i] == 'D' || token[i] == 'e' || token[i] == 'E')) {
      text.push_back('e');
      ++i;
      if (i < token.size() && (token[i] == '+' || token[i] == '-')) text.push_back(token[i++]);
      const size_t exponent_start = i;
      while (i < token.size() && IsDigit(token[i])) text.push_back(token[i++]);
      if (i == exponent_start) return invalid();
    }
    if (i != token.size()) return invalid();
  }
  Result<Number> n = Number::Parse(text);
  if (!n.ok()) return n.status();
  *out = std::move(n).value();
  return Status::Ok();
}

Status IonReader::ReadQuoted(char quote, std::string* out) {
  ++pos_;
  std::string text;
  while (true) {
    if (AtEnd()) return Error("unterminated string");
    const char c = text_[pos_];
    if (c == quote) {
      ++pos_;
      break;
    }
    if (c == '\\') {
      ++pos_;
      MERIDIAN_RETURN_IF_ERROR(ReadEscape(&text));
      continue;
    }
    if (c == '\n' || c == '\r') return Error("newline in a quoted string");
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\v' && c != '\f') {
      return Error("control character in a string");
    }
    text.push_back(c);
    ++pos_;
  }
  if (!IsValidUtf8(text)) return Error("invalid UTF-8 in a string");
  *out = std::move(text);
  return Status::Ok();
}

// One or more '''...''' segments, separated by whitespace or comments, concatenated. Raw
// newlines are kept (CR and CRLF read as LF).
Status IonReader::ReadLongStrings(std::string* out) {
  std::string text;
  while (LookingAt("'''")) {
    pos_ += 3;
    while (true) {
      if (AtEnd()) return Error("unterminated long string");
      if (LookingAt("'''")) {
        pos_ += 3;
        break;
      }
      const char c = text_[pos_];
      if (c == '\\') {
        ++pos_;
        MERIDIAN_RETURN_IF_ERROR(ReadEscape(&text));
        continue;
      }
      ++pos_;
      if (c == '\r') {
        if (Peek() == '\n') ++pos_;
        text.push_back('\n');
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\v' &&
          c != '\f') {
        return Error("control character in a string");
      }
      text.push_back(c);
    }
    MERIDIAN_RETURN_IF_ERROR(SkipSpace());
  }
  if (!IsValidUtf8(text)) return Error("invalid UTF-8 in a string");
  *out = std::move(text);
  return Status::Ok();
}

Status IonReader::ReadHexCodePoint(size_t digits, uint32_t* cp) {
  if (text_.size() - pos_ < digits) return Error("truncated escape");
  uint32_t value = 0;
  for (size_t k = 0; k < digits; ++k) {
    const char c = text_[pos_ + k];
    if (!IsHexDigit(c)) return Error("invalid hex digit in an escape");
    value = value * 16 + static_cast<uint32_t>(IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  pos_ += digits;
  *cp = value;
  return Status::Ok();
}

Status IonReader::ReadEscape(std::string* out) {
  if (AtEnd()) return Error("unterminated escape");
  const char c = text_[pos_++];
  static constexpr std::string_view kFrom = "0abtnfrv?'\"/\\";
  static constexpr std::string_view kTo = std::string_view("\0\a\b\t\n\f\r\v?'\"/\\", 13);
  if (const size_t k = kFrom.find(c); k != std::string_view::npos) {
    out->push_back(kTo[k]);
    return Status::Ok();
  }
  if (c == '\n') return Status::Ok();  // line continuation
  if (c == '\r') {
    if (Peek() == '\n') ++pos_;
    return Status::Ok();
  }
  uint32_t cp = 0;
  if (c == 'x') {
    MERIDIAN_RETURN_IF_ERROR(ReadHexCodePoint(2, &cp));
  } else if (c == 'u') {
    MERIDIAN_RETURN_IF_ERROR(ReadHexCodePoint(4, &cp));
    if (cp >= 0xD800 && cp <= 0xDBFF) {  // a UTF-16 pair: the low half must follow
      uint32_t low = 0;
      if (!LookingAt("\\u")) return Error("unpaired surrogate escape");
      pos_ += 2;
      MERIDIAN_RETURN_IF_ERROR(ReadHexCodePoint(4, &low));
      if (low < 0xDC00 || low > 0xDFFF) return Error("unpaired surrogate escape");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
  } else if (c == 'U') {
    MERIDIAN_RETURN_IF_ERROR(ReadHexCodePoint(8, &cp));
  } else {
    return Error("invalid escape");
  }
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return Error("invalid code point escape");
  AppendUtf8(cp, out);
  return Status::Ok();
}

Status IonReader::ReadBlob(std::string* out) {
  pos_ += 2;
  std::string base64;
  while (true) {
    if (AtEnd()) return Error("unterminated blob");
    const char c = text_[pos_];
    if (c == '}') {
      if (Peek(1) != '}') return Error("expected '}}' to end a blob");
      pos_ += 2;
      break;
    }
    if (c == '"' || c == '\'') return Error("clobs are not supported");
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      ++pos_;
      continue;
    }
    base64.push_back(c);
    ++pos_;
  }
  if (!Base64Decode(base64, out)) return Error("invalid base64 in a blob");
  return Status::Ok();
}

// ---- CSV ----------------------------------------------------------------------------------

// Splits CSV text into records of fields (RFC 4180, LF or CRLF line ends).
class CsvReader {
 public:
  CsvReader(std::string_view text, char delimiter) : text_(text), delimiter_(delimiter) {}

  // The next record into *fields, skipping empty lines; *got is false at the end.
  Status Next(std::vector<std::string>* fields, bool* got);
  // 1-based line on which the last record started.
  size_t record_line() const { return record_line_; }

 private:
  // Length of the line end at `at` (1 for LF, 2 for CRLF), 0 if none.
  size_t LineEnd(size_t at) const {
    if (at < text_.size() && text_[at] == '\n') return 1;
    if (at + 1 < text_.size() && text_[at] == '\r' && text_[at + 1] == '\n') return 2;
    return 0;
  }
  Status Error(std::string_view what) const {
    return Status::InvalidArgument("CSV line " + std::to_string(line_) + ": " + std::string(what));
  }

  std::string_view text_;
  char delimiter_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t record_line_ = 0;
};

Status CsvReader::Next(std::vector<std::string>* fields, bool* got) {
  fields->clear();
  *got = false;
  for (size_t n = LineEnd(pos_); n > 0; n = LineEnd(pos_)) {
    pos_ += n;
    ++line_;
  }
  if (pos_ >= text_.size()) return Status::Ok();
  record_line_ = line_;
  const char specials[] = {delimiter_, '\n', '\r', '"', '\0'};
  while (true) {
    std::string& field = fields->emplace_back();
    if (pos_ < text_.size() && text_[pos_] == '"') {
      ++pos_;
      while (true) {
        const size_t quote = text_.find('"', pos_);
        if (quote == std::string_view::npos) return Error("unterminated quoted field");
        const std::string_view run = text_.substr(pos_, quote - pos_);
        line_ += static_cast<size_t>(std::count(run.begin(), run.end(), '\n'));
        field.append(run);
        pos_ = quote + 1;
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field.push_back('"');
          ++pos_;
          continue;
        }
        break;
      }
      if (pos_ < text_.size() && text_[pos_] != delimiter_ && LineEnd(pos_) == 0) {
        return Error("a closing quote must end its field");
      }
    } else {
      while (pos_ < text_.size()) {
        const size_t stop = std::min(text_.find_first_of(specials, pos_), text_.size());
        field.append(text_.substr(pos_, stop - pos_));
        pos_ = stop;
        if (pos_ == text_.size() || text_[pos_] == delimiter_ || LineEnd(pos_) > 0) break;
        if (text_[pos_] == '"') return Error("a quote in an unquoted field (write it as \"\")");
        field.push_back(text_[pos_++]);  // a CR that does not end the line
      }
    }
    if (pos_ < text_.size() && text_[pos_] == delimiter_) {
      ++pos_;
      continue;
    }
    if (const size_t n = LineEnd(pos_); n > 0) {
      pos_ += n;
      ++line_;
    }
    break;
  }
  *got = true;
  return Status::Ok();
}

Result<model::Item> CsvRecordToItem(const std::vector<std::string>& header,
                                    const std::vector<char>& types,
                                    std::vector<std::string>& fields) {
  if (fields.size() != header.size()) {
    return Status::InvalidArgument("expected " + std::to_string(header.size()) + " fields, found " +
                                   std::to_string(fields.size()));
  }
  model::Item::sequence_type item;
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string& value = fields[i];
    if (value.empty()) continue;
    if (types[i] == 'N') {
      Result<Number> n = Number::Parse(value);
      if (!n.ok()) return Status::InvalidArgument(header[i] + ": " + n.status().message());
      item.emplace_back(header[i], AttributeValue::N(std::move(n).value()));
    } else if (types[i] == 'B') {
      std::string bytes;
      if (!Base64Decode(value, &bytes)) {
        return Status::InvalidArgument(header[i] + ": not valid base64");
      }
      item.emplace_back(header[i], AttributeValue::B(std::move(bytes)));
    } else {
      if (!IsValidUtf8(value)) return Status::InvalidArgument(header[i] + ": invalid UTF-8");
      item.emplace_back(header[i], AttributeValue::S(std::move(value)));
    }
  }
  return model::MapFromMembers(std::move(item));
}

// ---- zlib, OpenSSL ------------------------------------------------------------------------

// zlib counts in uInt; larger buffers go in slices.
constexpr size_t kZlibSlice = size_t{1} << 30;
constexpr size_t kZlibOut = size_t{64} << 10;

std::string Md5(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  MERIDIAN_CHECK(EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr) == 1);
  return {reinterpret_cast<const char*>(digest), size};
}

}  // namespace

void AppendDynamoDbJsonLine(const model::Item& item, std::string* out) {
  JsonWriter writer;
  writer.StartObject();
  writer.Key("Item");
  writer.Item(item);
  writer.EndObject();
  out->append(writer.Text());
  out->push_back('\n');
}

void AppendIonLine(const model::Item& item, std::string* out) {
  out->append("$ion_1_0 {Item:");
  AppendIonStruct(item, out);
  out->append("}\n");
}

Result<model::Item> ParseDynamoDbJsonLine(std::string_view line) {
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::json::error_code ec;
  const boost::json::value json = boost::json::parse(line, ec, {}, options);
  if (ec == boost::json::error::too_deep) return Status::InvalidArgument(kTooDeep);
  if (ec) return Status::InvalidArgument("Invalid JSON: " + ec.message());
  if (!json.is_object()) return Status::InvalidArgument("Expected an object {\"Item\":{...}}");
  const boost::json::object& line_object = json.get_object();
  const auto it = line_object.find("Item");
  if (it == line_object.end()) return Status::InvalidArgument("Missing member \"Item\"");
  if (line_object.size() != 1) {
    return Status::InvalidArgument("Unexpected member besides \"Item\"");
  }
  try {
    return DecodeItem(it->value());
  } catch (const ApiError& e) {
    return Status::InvalidArgument(e.message);
  }
}

Result<model::Item> ParseIonLine(std::string_view line) {
  model::Item item;
  IonReader reader(line);
  MERIDIAN_RETURN_IF_ERROR(reader.ReadLine(&item));
  return item;
}

Status ParseCsv(std::string_view text, const CsvOptions& options,
                const std::function<Status(model::Item)>& emit, const CsvKeyTypes& key_types) {
  if (std::string_view(",;:|\t ").find(options.delimiter) == std::string_view::npos) {
    return Status::InvalidArgument("CSV delimiter must be one of , ; : | tab space");
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  CsvReader reader(text, options.delimiter);
  std::vector<std::string> header = options.header;
  std::vector<std::string> fields;
  bool got = false;
  if (header.empty()) {
    MERIDIAN_RETURN_IF_ERROR(reader.Next(&fields, &got));
    if (!got) return Status::Ok();  // an empty file holds no items
    header = std::move(fields);
  }
  std::unordered_set<std::string_view> seen;
  std::vector<char> types;
  for (const std::string& name : header) {
    if (Status st = CheckName(name); !st.ok()) {
      return Status::InvalidArgument("CSV header: " + st.message());
    }
    if (!IsValidUtf8(name)) return Status::InvalidArgument("CSV header: invalid UTF-8");
    if (!seen.insert(name).second) {
      return Status::InvalidArgument("CSV header: duplicate column " + name);
    }
    const std::optional<char> type = key_types ? key_types(name) : std::nullopt;
    if (type && *type != 'S' && *type != 'N' && *type != 'B') {
      return Status::InvalidArgument("CSV: key attribute " + name + " has no scalar type");
    }
    types.push_back(type.value_or('S'));
  }
  while (true) {
    MERIDIAN_RETURN_IF_ERROR(reader.Next(&fields, &got));
    if (!got) return Status::Ok();
    Result<model::Item> item = CsvRecordToItem(header, types, fields);
    if (!item.ok()) {
      if (!options.on_bad_record) {
        return Status::InvalidArgument("CSV line " + std::to_string(reader.record_line()) + ": " +
                                       item.status().message());
      }
      MERIDIAN_RETURN_IF_ERROR(options.on_bad_record(reader.record_line(), item.status()));
      continue;
    }
    MERIDIAN_RETURN_IF_ERROR(emit(std::move(item).value()));
  }
}

std::string GzipCompress(std::string_view data) {
  z_stream z{};
  MERIDIAN_CHECK(
      deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out;
  size_t used = 0;
  size_t offset = 0;
  int flush = Z_NO_FLUSH;
  while (flush != Z_FINISH) {
    const size_t slice = std::min(data.size() - offset, kZlibSlice);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + offset));
    z.avail_in = static_cast<uInt>(slice);
    offset += slice;
    flush = offset == data.size() ? Z_FINISH : Z_NO_FLUSH;
    do {
      out.resize(used + kZlibOut);
      z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
      z.avail_out = static_cast<uInt>(kZlibOut);
      MERIDIAN_CHECK(deflate(&z, flush) != Z_STREAM_ERROR);
      used = out.size() - z.avail_out;
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  out.resize(used);
  return out;
}

Result<std::string> GzipDecompress(std::string_view data, size_t max_bytes) {
  std::string out;
  if (data.empty()) return out;
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return Status::Internal("zlib: inflateInit2 failed");
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&z};
  std::string buffer(kZlibOut, '\0');
  size_t offset = 0;
  while (true) {
    if (z.avail_in == 0 && offset < data.size()) {
      const size_t slice = std::min(data.size() - offset, kZlibSlice);
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + offset));
      z.avail_in = static_cast<uInt>(slice);
      offset += slice;
    }
    z.next_out = reinterpret_cast<Bytef*>(buffer.data());
    z.avail_out = static_cast<uInt>(buffer.size());
    const int rc = inflate(&z, Z_NO_FLUSH);
    const size_t produced = buffer.size() - z.avail_out;
    if (produced > max_bytes - out.size()) {
      return Status::InvalidArgument("gzip data decompresses to more than " +
                                     std::to_string(max_bytes) + " bytes");
    }
    out.append(buffer.data(), produced);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0 && offset == data.size()) return out;
      if (inflateReset(&z) != Z_OK) return Status::Internal("zlib: inflateReset failed");
      continue;  // the next member
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0 && offset == data.size()) {
      return Status::Corruption("gzip data is truncated");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return Status::Corruption(std::string("invalid gzip data: ") +
                                (z.msg != nullptr ? z.msg : "zlib error " + std::to_string(rc)));
    }
  }
}

std::string Md5Base64(std::string_view data) { return Base64Encode(Md5(data)); }

std::string Md5Hex(std::string_view data) { return security::Hex(Md5(data)); }

std::string ManifestFilesLine(uint64_t item_count, std::string_view md5_base64,
                              std::string_view etag, std::string_view data_file_key) {
  boost::json::object line;
  line["itemCount"] = item_count;
  line["md5Checksum"] = md5_base64;
  line["etag"] = etag;
  line["dataFileS3Key"] = data_file_key;
  return boost::json::serialize(line) + "\n";
}

std::string ManifestSummaryJson(const ManifestSummary& s) {
  auto optional = [](const std::optional<std::string>& v) -> boost::json::value {
    if (v) return boost::json::value(*v);
    return nullptr;
  };
  boost::json::object json;
  json["version"] = "2020-06-30";
  json["exportArn"] = s.export_arn;
  json["startTime"] = IsoTime(s.start_time_ms);
  json["endTime"] = IsoTime(s.end_time_ms);
  json["tableArn"] = s.table_arn;
  json["tableId"] = s.table_id;
  json["exportTime"] = IsoTime(s.export_time_ms);
  json["s3Bucket"] = s.s3_bucket;
  json["s3Prefix"] = optional(s.s3_prefix);
  json["s3SseAlgorithm"] = optional(s.s3_sse_algorithm);
  json["s3SseKmsKeyId"] = optional(s.s3_sse_kms_key_id);
  json["manifestFilesS3Key"] = s.manifest_files_s3_key;
  json["billedSizeBytes"] = s.billed_size_bytes;
  json["itemCount"] = s.item_count;
  json["outputFormat"] = s.output_format;
  json["exportType"] = s.export_type;
  return boost::json::serialize(json);
}

std::string IsoTime(uint64_t epoch_ms) {
  using namespace std::chrono;
  // 9999-12-31T23:59:59.999Z: the last instant with a four-digit year.
  constexpr uint64_t kMaxMs = 253402300799999;
  const sys_time<milliseconds> t{milliseconds{static_cast<int64_t>(std::min(epoch_ms, kMaxMs))}};
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> time{t - day};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()),
                static_cast<int>(time.subseconds().count()));
  return buf;
}

}  // namespace meridian::api
