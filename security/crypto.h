// The few cryptographic primitives Meridian uses, on OpenSSL: SHA-256, HMAC-SHA256, hex and
// a constant-time comparison.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace meridian::security {

using Digest = std::array<uint8_t, 32>;

Digest Sha256(std::string_view data);
Digest HmacSha256(std::string_view key, std::string_view data);
// HMAC-SHA256 under one fixed key, with the key's two padded blocks hashed once (SigV4's
// signing key signs every request of its day): Sign(data) == HmacSha256(key, data).
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key = {});
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = default;
  HmacSha256Key& operator=(const HmacSha256Key&) = default;
  Digest Sign(std::string_view data) const;

 private:
  // SHA256_CTX states after the inner and outer padded key blocks (opaque here).
  alignas(8) unsigned char inner_[128];
  alignas(8) unsigned char outer_[128];
};

// Lowercase hex of `bytes` (appended to *out).
std::string Hex(std::string_view bytes);
void AppendHex(std::string_view bytes, std::string* out);
inline std::string Hex(const Digest& d) {
  return Hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}
inline std::string_view AsView(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}
// Equal contents, in time that depends only on the sizes.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace meridian::security
