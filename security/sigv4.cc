#include "security/sigv4.h"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace meridian::security {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr int64_t kMaxSkewMs = int64_t{5} * 60 * 1000;

AuthError Incomplete(std::string message) {
  return {"com.amazon.coral.service#IncompleteSignatureException", std::move(message)};
}
AuthError Invalid(std::string message) {
  return {"com.amazon.coral.service#InvalidSignatureException", std::move(message)};
}
AuthError Unrecognized() {
  return {"com.amazon.coral.service#UnrecognizedClientException",
          "The security token included in the request is invalid."};
}

// ASCII case-insensitive equality (header names are ASCII; std::tolower consults the locale).
bool IEquals(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

// The first header of that name (any case), or nullptr.
const std::string_view* FindHeader(std::span<const HeaderView> headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return &v;
  }
  return nullptr;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whitespace-separated words of `value` joined by single spaces.
void AppendCollapsed(std::string_view value, std::string* out) {
  bool pending_space = false;
  bool any = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = any;
      continue;
    }
    if (pending_space) out->push_back(' ');
    pending_space = false;
    any = true;
    out->push_back(c);
  }
}

void AppendUriEncodedPath(std::string_view path, std::string* out) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out->push_back(c);
    } else {
      out->push_back('%');
      out->push_back(kDigits[u >> 4]);
      out->push_back(kDigits[u & 15]);
    }
  }
}

void AppendCanonicalQuery(std::string_view query, std::string* out) {
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    pairs.emplace_back(pair.substr(0, eq),
                       eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
  }
  std::sort(pairs.begin(), pairs.end());
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i) out->push_back('&');
    out->append(pairs[i].first);
    out->push_back('=');
    out->append(pairs[i].second);
  }
}

struct AuthorizationHeader {
  std::string_view credential;
  std::string_view signed_headers;
  std::string_view signature;
};

// Parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
std::variant<AuthorizationHeader, AuthError> ParseAuthorization(std::string_view header) {
  const size_t space = header.find(' ');
  const std::string_view algorithm = header.substr(0, space);
  if (algorithm != kAlgorithm && algorithm.substr(0, 5) == "AWS4-") {
    return Incomplete("Unsupported AWS 'algorithm': '" + std::string(algorithm) + "'");
  }
  AuthorizationHeader out;
  if (algorithm == kAlgorithm && space != std::string_view::npos) {
    std::string_view rest = header.substr(space + 1);
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view part = Trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (part.empty()) continue;
      const size_t eq = part.find('=');
      if (eq == std::string_view::npos) {
        return Incomplete("'" + std::string(part) +
                          "' not a valid key=value pair (missing equal-sign) in Authorization "
                          "header: '" +
                          std::string(header) + "'.");
      }
      const std::string_view key = part.substr(0, eq);
      const std::string_view value = part.substr(eq + 1);
      if (key == "Credential") out.credential = value;
      if (key == "SignedHeaders") out.signed_headers = value;
      if (key == "Signature") out.signature = value;
    }
  }
  std::string missing;
  if (out.credential.empty()) missing += "Authorization header requires 'Credential' parameter. ";
  if (out.signature.empty()) missing += "Authorization header requires 'Signature' parameter. ";
  if (out.signed_headers.empty())
    missing += "Authorization header requires 'SignedHeaders' parameter. ";
  if (!missing.empty()) return Incomplete(missing + "Authorization=" + std::string(header));
  return out;
}

// The Date header (RFC 1123, "Sun, 06 Nov 1994 08:49:37 GMT") -> Unix ms, or -1.
int64_t ParseHttpDate(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return -1;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::string FormatMinus(int64_t now_ms, int64_t delta_ms) {
  return sigv4::FormatAmzDate(now_ms + delta_ms);
}

struct CachedKey {
  std::string secret;
  std::string scope;  // date/region/service
  HmacSha256Key key;
};

// The derived signing key for (secret, scope), computed at most once per day and thread.
const HmacSha256Key& CachedSigningKey(const AccessKey& key, std::string_view date,
                                      std::string_view region, std::string_view service,
                                      std::string_view scope) {
  thread_local std::unordered_map<std::string, CachedKey> cache;
  CachedKey& entry = cache[key.id];
  if (entry.scope != scope || entry.secret != key.secret) {
    entry.secret = key.secret;
    entry.scope = std::string(scope);
    entry.key = HmacSha256Key(AsView(sigv4::SigningKey(key.secret, date, region, service)));
  }
  return entry.key;
}

}  // namespace

namespace sigv4 {

std::string CanonicalRequest(const SignedRequest& request, std::string_view signed_headers,
                             std::string_view payload_hash) {
  std::string out;
  out.reserve(256 + request.target.size());
  out.append(request.method);
  out.push_back('\n');
  const size_t q = request.target.find('?');
  const std::string_view path = request.target.substr(0, q);
  if (path.empty()) {
    out.push_back('/');
  } else {
    AppendUriEncodedPath(path, &out);
  }
  out.push_back('\n');
  if (q != std::string_view::npos) AppendCanonicalQuery(request.target.substr(q + 1), &out);
  out.push_back('\n');
  std::string_view names = signed_headers;
  while (!names.empty()) {
    const size_t semi = names.find(';');
    const std::string_view name = names.substr(0, semi);
    names = semi == std::string_view::npos ? std::string_view() : names.substr(semi + 1);
    out.append(name);
    out.push_back(':');
    bool first = true;
    for (const auto& [k, v] : request.headers) {
      if (!IEquals(k, name)) continue;
      if (!first) out.push_back(',');
      first = false;
      AppendCollapsed(v, &out);
    }
    out.push_back('\n');
  }
  out.push_back('\n');
  out.append(signed_headers);
  out.push_back('\n');
  out.append(payload_hash);
  return out;
}

Digest SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                  std::string_view service) {
  const std::string k = "AWS4" + std::string(secret);
  Digest d = HmacSha256(k, date);
  d = HmacSha256(AsView(d), region);
  d = HmacSha256(AsView(d), service);
  return HmacSha256(AsView(d), "aws4_request");
}

int64_t ParseAmzDate(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return -1;
  for (size_t i = 0; i < 15; ++i) {
    if (i != 8 && !std::isdigit(static_cast<unsigned char>(text[i]))) return -1;
  }
  auto num = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return -1;
  }
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::string FormatAmzDate(int64_t unix_ms) {
  const time_t t = static_cast<time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace sigv4

std::vector<HeaderView> ViewsOf(const HeaderList& headers) {
  return {headers.begin(), headers.end()};
}

Authenticator::Authenticator(std::vector<AccessKey> keys, std::string region, std::string service)
    : region_(std::move(region)), service_(std::move(service)) {
  for (auto& key : keys) {
    std::string id = key.id;
    keys_.emplace(std::move(id), std::move(key));
  }
}

AuthResult Authenticator::Authenticate(const SignedRequest& request, int64_t now_ms) const {
  const std::span<const HeaderView> headers = request.headers;
  const std::string_view* authorization = FindHeader(headers, "Authorization");
  if (!authorization) {
    return AuthError{"com.amazon.coral.service#MissingAuthenticationTokenException",
                     "Request is missing Authentication Token"};
  }
  // DynamoDB judges the request time before the rest of a SigV4 header (a malformed header
  // with an expired date gets "Signature expired"); another scheme is refused at once.
  auto parsed = ParseAuthorization(*authorization);
  const bool sigv4_scheme = std::string_view(*authorization).starts_with(kAlgorithm);
  if (auto* e = std::get_if<AuthError>(&parsed); e && !sigv4_scheme) return std::move(*e);

  // The request time, as the string to sign carries it.
  std::string amz_date;
  int64_t signed_ms = -1;
  if (const std::string_view* d = FindHeader(headers, "X-Amz-Date")) {
    amz_date = *d;
    signed_ms = sigv4::ParseAmzDate(amz_date);
  } else if (const std::string_view* http_date = FindHeader(headers, "Date")) {
    amz_date = *http_date;
    signed_ms = ParseHttpDate(std::string(*http_date));
    if (signed_ms >= 0) amz_date = sigv4::FormatAmzDate(signed_ms);
  } else {
    return Incomplete(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=" +
        std::string(*authorization));
  }
  if (signed_ms < 0) {
    return Incomplete("Date must be in ISO-8601 'basic format'. Got '" + amz_date +
                      "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }

  if (signed_ms < now_ms - kMaxSkewMs) {
    return Invalid("Signature expired: " + amz_date + " is now earlier than " +
                   FormatMinus(now_ms, -kMaxSkewMs) + " (" + sigv4::FormatAmzDate(now_ms) +
                   " - 5 min.)");
  }
  if (signed_ms > now_ms + kMaxSkewMs) {
    return Invalid("Signature not yet current: " + amz_date + " is still later than " +
                   FormatMinus(now_ms, kMaxSkewMs) + " (" + sigv4::FormatAmzDate(now_ms) +
                   " + 5 min.)");
  }

  if (auto* e = std::get_if<AuthError>(&parsed)) return std::move(*e);
  const auto& auth = std::get<AuthorizationHeader>(parsed);

  // Credential = keyid/date/region/service/aws4_request.
  std::vector<std::string_view> scope;
  for (std::string_view rest = auth.credential;;) {
    const size_t slash = rest.find('/');
    scope.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  if (scope.size() != 5) {
    return Incomplete(
        "Credential must have exactly 5 slash-delimited elements, e.g. "
        "keyid/date/region/service/term, got '" +
        std::string(auth.credential) + "'");
  }
  const std::string_view day = std::string_view(amz_date).substr(0, 8);
  if (scope[1] != day) {
    return Invalid(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '" +
        std::string(scope[1]) + "' != '" + std::string(day) + "', from '" + amz_date + "'.");
  }
  if (scope[2] != region_) {
    return Invalid("Credential should be scoped to a valid region, not '" + std::string(scope[2]) +
                   "'. ");
  }
  if (scope[3] != service_) {
    return Invalid("Credential should be scoped to correct service: '" + service_ + "'. ");
  }
  if (scope[4] != "aws4_request") {
    return Invalid("Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                   std::string(scope[4]) + "'. ");
  }

  const auto found = keys_.find(std::string(scope[0]));
  if (found == keys_.end()) return Unrecognized();
  const AccessKey& key = found->second;
  const std::string_view* token = FindHeader(headers, "X-Amz-Security-Token");
  if (key.session_token.empty() ? token != nullptr
                                : !token || !ConstantTimeEquals(*token, key.session_token)) {
    return Unrecognized();
  }
  if (key.expires_ms != 0 && now_ms >= key.expires_ms) {
    return AuthError{"com.amazon.coral.service#ExpiredTokenException",
                     "The security token included in the request is expired"};
  }

  bool host_signed = false;
  for (std::string_view names = auth.signed_headers; !names.empty();) {
    const size_t semi = names.find(';');
    host_signed |= names.substr(0, semi) == "host";
    names = semi == std::string_view::npos ? std::string_view() : names.substr(semi + 1);
  }
  if (!host_signed) {
    return Invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const std::string body_hash = Hex(Sha256(request.body));
  std::string_view payload_hash = body_hash;
  if (const std::string_view* claimed = FindHeader(headers, "X-Amz-Content-Sha256")) {
    if (*claimed != body_hash) {
      return Invalid(
          "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
  }

  const std::string canonical = sigv4::CanonicalRequest(request, auth.signed_headers, payload_hash);
  std::string scope_text;
  scope_text.append(scope[1]).append("/").append(scope[2]).append("/").append(scope[3]);
  const HmacSha256Key& signing_key =
      CachedSigningKey(key, scope[1], scope[2], scope[3], scope_text);
  std::string to_sign;
  to_sign.reserve(160);
  to_sign.append(kAlgorithm).append("\n").append(amz_date).append("\n");
  to_sign.append(scope_text).append("/aws4_request\n");
  AppendHex(AsView(Sha256(canonical)), &to_sign);
  std::string expected;
  expected.reserve(64);
  AppendHex(AsView(signing_key.Sign(to_sign)), &expected);
  if (!ConstantTimeEquals(expected, auth.signature)) {
    return Invalid(
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details.");
  }
  return &key;
}

}  // namespace meridian::security
