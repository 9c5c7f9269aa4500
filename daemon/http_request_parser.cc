#include "daemon/http_request_parser.h"

#include <emmintrin.h>

#include <array>
#include <cstring>

namespace meridian::daemon {
namespace {

// RFC 9110 character classes.
constexpr std::array<bool, 256> MakeTokenTable() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr auto kToken = MakeTokenTable();

bool IsToken(unsigned char c) { return kToken[c]; }
// A request-target of visible ASCII only (0x21-0x7e), 16 bytes at a time.
bool AllTargetChars(const char* p, size_t n) {
  const __m128i space = _mm_set1_epi8(0x20), tilde = _mm_set1_epi8(0x7e);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, space), v);   // v <= 0x20
    const __m128i high = _mm_cmpeq_epi8(_mm_max_epu8(v, tilde), v);  // v >= 0x7e
    const __m128i bad = _mm_andnot_si128(_mm_cmpeq_epi8(v, tilde), _mm_or_si128(low, high));
    if (_mm_movemask_epi8(bad) != 0) return false;
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}
bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// Whether the header section [p, p + n) holds no control byte but tabs and line ends, and no
// line feed without a CR before it (p[-1] must be readable: the request line's LF). With each
// line's first CR checked to be followed by its LF, that is every line end well formed, in
// one pass over the section instead of one per value.
bool SectionBytesValid(const char* p, size_t n) {
  const __m128i max_ctl = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8('\t');
  const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n'), del = _mm_set1_epi8(0x7f);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i before = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i - 1));
    const __m128i is_lf = _mm_cmpeq_epi8(v, lf);
    const __m128i allowed =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, tab), is_lf), _mm_cmpeq_epi8(v, cr));
    __m128i bad = _mm_cmpeq_epi8(_mm_min_epu8(v, max_ctl), v);  // v <= 0x1f (unsigned)
    bad = _mm_or_si128(_mm_andnot_si128(allowed, bad), _mm_cmpeq_epi8(v, del));
    bad = _mm_or_si128(bad, _mm_andnot_si128(_mm_cmpeq_epi8(before, cr), is_lf));
    if (_mm_movemask_epi8(bad) != 0) return false;
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) return false;
    if (c == '\n' && p[i - 1] != '\r') return false;
  }
  return true;
}

// `name` equals the lowercase `lower` (ASCII letters compared without case).
bool NameIs(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if ((name[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

// `value` is a token list as Beast checks Connection: tokens separated by commas and
// optional whitespace (empty elements allowed).
bool IsTokenList(std::string_view value) {
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view item = value.substr(start, comma - start);
    while (!item.empty() && IsSpace(item.front())) item.remove_prefix(1);
    while (!item.empty() && IsSpace(item.back())) item.remove_suffix(1);
    for (char c : item) {
      if (!IsToken(static_cast<unsigned char>(c))) return false;
    }
    start = comma + 1;
  }
  return true;
}

// A comma-separated list of `value` holds the token `lower`.
bool ListHas(std::string_view value, std::string_view lower) {
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view item = value.substr(start, comma - start);
    while (!item.empty() && IsSpace(item.front())) item.remove_prefix(1);
    while (!item.empty() && IsSpace(item.back())) item.remove_suffix(1);
    if (NameIs(item, lower)) return true;
    start = comma + 1;
  }
  return false;
}

}  // namespace

bool ParseCommonRequest(std::string_view data, size_t max_header_bytes, size_t max_body_bytes,
                        std::vector<std::pair<std::string_view, std::string_view>>* headers,
                        FastRequest* out) {
  // The header section, line by line; running out of bytes (incomplete) or of the header
  // limit hands over to the full parser.
  const char* p = data.data();
  const char* const end = p + std::min(data.size(), max_header_bytes);

  // request-line = method SP request-target SP HTTP-version CRLF
  const char* start = p;
  while (p < end && IsToken(static_cast<unsigned char>(*p))) ++p;
  if (p == start || p == end || *p != ' ') return false;
  out->method = std::string_view(start, static_cast<size_t>(p - start));
  start = ++p;
  p = static_cast<const char*>(std::memchr(p, ' ', static_cast<size_t>(end - p)));
  if (p == nullptr || p == start || !AllTargetChars(start, static_cast<size_t>(p - start))) {
    return false;
  }
  out->target = std::string_view(start, static_cast<size_t>(p - start));
  ++p;
  if (end - p < 10 || std::memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '1' && p[7] != '0') ||
      p[8] != '\r' || p[9] != '\n') {
    return false;
  }
  const bool http11 = p[7] == '1';
  p += 10;

  const char* const section = p;
  headers->clear();
  out->amz_target = {};
  out->expect_continue = false;
  bool keep_alive = http11;
  bool has_length = false;
  uint64_t length = 0;
  while (true) {
    if (end - p < 2) return false;
    if (p[0] == '\r') {
      if (p[1] != '\n') return false;
      p += 2;
      break;  // the empty line: end of the header section
    }
    // field-name ":" OWS field-value OWS CRLF; no space before the colon, no folding.
    start = p;
    while (p < end && IsToken(static_cast<unsigned char>(*p))) ++p;
    if (p == start || p == end || *p != ':') return false;
    const std::string_view name(start, static_cast<size_t>(p - start));
    ++p;
    while (p < end && IsSpace(*p)) ++p;
    start = p;
    p = static_cast<const char*>(std::memchr(p, '\r', static_cast<size_t>(end - p)));
    if (p == nullptr || end - p < 2 || p[1] != '\n') return false;
    const char* value_end = p;
    while (value_end > start && IsSpace(value_end[-1])) --value_end;
    const std::string_view value(start, static_cast<size_t>(value_end - start));
    p += 2;
    headers->emplace_back(name, value);
    switch (name.size()) {
      case 14:
        if (NameIs(name, "content-length")) {
          if (has_length || value.empty() || value.size() > 15) return false;
          for (char c : value) {
            if (c < '0' || c > '9') return false;
            length = length * 10 + static_cast<uint64_t>(c - '0');
          }
          has_length = true;
        }
        break;
      case 17:
        if (NameIs(name, "transfer-encoding")) return false;  // chunked and the like
        break;
      case 7:
        if (NameIs(name, "upgrade")) return false;
        break;
      case 16:
        if (NameIs(name, "proxy-connection")) return false;
        break;
      case 10:
        if (NameIs(name, "connection")) {
          if (!IsTokenList(value)) return false;
          if (ListHas(value, "close")) keep_alive = false;
          if (!http11 && ListHas(value, "keep-alive")) keep_alive = true;
        }
        break;
      case 12:
        if (NameIs(name, "x-amz-target")) out->amz_target = value;
        break;
      case 6:
        if (NameIs(name, "expect")) out->expect_continue = NameIs(value, "100-continue");
        break;
      default: break;
    }
  }
  if (!SectionBytesValid(section, static_cast<size_t>(p - section))) return false;
  const size_t header_end = static_cast<size_t>(p - data.data());
  if (length > max_body_bytes) return false;  // the full parser answers 413
  if (data.size() - header_end < length) return false;
  out->body = data.substr(header_end, length);
  out->size = header_end + length;
  out->keep_alive = keep_alive;
  return true;
}

}  // namespace meridian::daemon
