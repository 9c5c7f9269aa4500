#include "daemon/api/json_writer.h"

#include <emmintrin.h>

#include <vector>

#include "common/base64.h"

namespace meridian::api {
namespace {

// One buffer per thread, reused: no allocation once it has grown. `first` tracks, per open
// object or array, whether the next member needs a comma before it.
struct ThreadState {
  std::string out;
  std::vector<bool> first;
  bool after_key = false;
};

ThreadState& State() {
  thread_local ThreadState state;
  return state;
}

constexpr char kHex[] = "0123456789abcdef";

// Index of the first byte of s[from..] that JSON must escape ('"', '\\', < 0x20), or n.
size_t NextEscape(const char* s, size_t from, size_t n) {
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  const __m128i max_ctl = _mm_set1_epi8(0x1f);
  size_t i = from;
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    __m128i hit = _mm_cmpeq_epi8(_mm_min_epu8(v, max_ctl), v);  // v <= 0x1f (unsigned)
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, quote));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, backslash));
    if (const int mask = _mm_movemask_epi8(hit); mask != 0) return i + __builtin_ctz(mask);
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\') return i;
  }
  return n;
}

// Appends `s` as a JSON string (quoted, escaped; UTF-8 passes through unchanged).
void AppendString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t done = 0;
  while (done < s.size()) {
    const size_t at = NextEscape(s.data(), done, s.size());
    out->append(s.data() + done, at - done);
    if (at == s.size()) break;
    const auto c = static_cast<unsigned char>(s[at]);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default: {
        const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(u, sizeof u);
      }
    }
    done = at + 1;
  }
  out->push_back('"');
}

// The separator before a value or key, as its container needs.
void BeforeValue(ThreadState& st) {
  if (st.after_key) {
    st.after_key = false;
    return;
  }
  if (st.first.empty()) return;
  if (!st.first.back()) st.out.push_back(',');
  st.first.back() = false;
}

}  // namespace

JsonWriter::JsonWriter() {
  ThreadState& s = State();
  s.out.clear();
  s.first.clear();
  s.after_key = false;
}

void JsonWriter::StartObject() {
  ThreadState& s = State();
  BeforeValue(s);
  s.out.push_back('{');
  s.first.push_back(true);
}

void JsonWriter::EndObject() {
  ThreadState& s = State();
  s.out.push_back('}');
  s.first.pop_back();
}

void JsonWriter::StartArray() {
  ThreadState& s = State();
  BeforeValue(s);
  s.out.push_back('[');
  s.first.push_back(true);
}

void JsonWriter::EndArray() {
  ThreadState& s = State();
  s.out.push_back(']');
  s.first.pop_back();
}

void JsonWriter::Key(std::string_view key) {
  ThreadState& s = State();
  BeforeValue(s);
  AppendString(key, &s.out);
  s.out.push_back(':');
  s.after_key = true;
}

void JsonWriter::String(std::string_view str) {
  ThreadState& s = State();
  BeforeValue(s);
  AppendString(str, &s.out);
}

std::string_view JsonWriter::Text() const { return State().out; }

void JsonWriter::Value(const model::AttributeValue& v) {
  using model::AttrType;
  ThreadState& s = State();
  // Scalars in one piece, without an open object's comma bookkeeping: most attributes are.
  switch (v.type()) {
    case AttrType::kS:
      BeforeValue(s);
      s.out.append(R"({"S":)");
      AppendString(v.s(), &s.out);
      s.out.push_back('}');
      return;
    case AttrType::kN:
      BeforeValue(s);
      s.out.append(R"({"N":)");
      AppendString(v.n().ToString(), &s.out);
      s.out.push_back('}');
      return;
    case AttrType::kBool:
      BeforeValue(s);
      s.out.append(v.boolean() ? R"({"BOOL":true})" : R"({"BOOL":false})");
      return;
    case AttrType::kNull:
      BeforeValue(s);
      s.out.append(R"({"NULL":true})");
      return;
    default: break;
  }
  StartObject();
  Key(model::TypeName(v.type()));
  switch (v.type()) {
    case AttrType::kB: String(Base64Encode(v.b())); break;
    case AttrType::kS:
    case AttrType::kN:
    case AttrType::kBool:
    case AttrType::kNull: break;  // written above
    case AttrType::kM: Item(v.m()); break;
    case AttrType::kL:
      StartArray();
      for (const auto& e : v.l()) Value(e);
      EndArray();
      break;
    case AttrType::kSS:
      StartArray();
      for (const auto& str : v.ss()) String(str);
      EndArray();
      break;
    case AttrType::kNS:
      StartArray();
      for (const auto& n : v.ns()) String(n.ToString());
      EndArray();
      break;
    case AttrType::kBS:
      StartArray();
      for (const auto& b : v.bs()) String(Base64Encode(b));
      EndArray();
      break;
  }
  EndObject();
}

void JsonWriter::Item(const model::Item& item) {
  StartObject();
  for (const auto& [name, value] : item) {
    Key(name);
    Value(value);
  }
  EndObject();
}

}  // namespace meridian::api
