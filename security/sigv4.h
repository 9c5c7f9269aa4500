// AWS Signature Version 4 verification of header-signed requests (the Authorization header
// the AWS SDKs and CLI send), with DynamoDB's errors for each failure. Derived signing keys
// are cached per key, day and thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "security/access_key.h"
#include "security/crypto.h"

namespace meridian::security {

// One header as received (name in any case).
using HeaderView = std::pair<std::string_view, std::string_view>;
// Headers held as strings (tests, tools); ViewsOf makes the views a SignedRequest takes.
using HeaderList = std::vector<std::pair<std::string, std::string>>;
std::vector<HeaderView> ViewsOf(const HeaderList& headers);

struct SignedRequest {
  std::string_view method;              // "POST"
  std::string_view target;              // path and query as sent, e.g. "/" or "/x?a=b"
  std::span<const HeaderView> headers;  // in arrival order
  std::string_view body;
};

// A failed authentication: always HTTP 400, `type` a full __type.
struct AuthError {
  std::string type;  // "com.amazon.coral.service#InvalidSignatureException"
  std::string message;
};

using AuthResult = std::variant<const AccessKey*, AuthError>;

class Authenticator {
 public:
  // `region`: the only region credentials may be scoped to; `service`: the signing name.
  Authenticator(std::vector<AccessKey> keys, std::string region, std::string service = "dynamodb");

  size_t key_count() const { return keys_.size(); }

  // The key that signed the request, or why it is not accepted. `now_ms`: Unix time.
  AuthResult Authenticate(const SignedRequest& request, int64_t now_ms) const;

 private:
  std::unordered_map<std::string, AccessKey> keys_;
  std::string region_;
  std::string service_;
};

// The pieces of SigV4, exposed for tests.
namespace sigv4 {
// The canonical request for `signed_headers` (lowercase names, ';'-separated, in order) and
// the hex SHA-256 of the payload.
std::string CanonicalRequest(const SignedRequest& request, std::string_view signed_headers,
                             std::string_view payload_hash);
// kSigning = HMAC chain over date (YYYYMMDD), region, service, "aws4_request".
Digest SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                  std::string_view service);
// "YYYYMMDDTHHMMSSZ" -> Unix ms, or -1.
int64_t ParseAmzDate(std::string_view text);
std::string FormatAmzDate(int64_t unix_ms);
}  // namespace sigv4

}  // namespace meridian::security
