#include "security/crypto.h"

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, whose per-hash
// dispatch (init, provider lookup through the context, finalization) costs about as much as
// hashing a short string; SigV4 hashes several short strings per request. Both end in the
// same block function (SHA-NI / AVX2 as the CPU offers).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>

namespace meridian::security {
namespace {

constexpr size_t kBlock = 64;  // SHA-256's block size

Digest Hash(std::string_view a, std::string_view b = {}) {
  Digest out{};
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, a.data(), a.size());
  if (!b.empty()) SHA256_Update(&ctx, b.data(), b.size());
  SHA256_Final(out.data(), &ctx);
  OPENSSL_cleanse(&ctx, sizeof ctx);
  return out;
}

}  // namespace

Digest Sha256(std::string_view data) { return Hash(data); }

// RFC 2104: H((K ^ opad) || H((K ^ ipad) || data)), K zero-padded to a block (hashed first
// when longer).
Digest HmacSha256(std::string_view key, std::string_view data) {
  return HmacSha256Key(key).Sign(data);
}

static_assert(sizeof(SHA256_CTX) <= 128, "HmacSha256Key's state buffers are too small");

HmacSha256Key::HmacSha256Key(std::string_view key) {
  unsigned char pad[kBlock] = {};
  if (key.size() > kBlock) {
    const Digest hashed = Hash(key);
    std::copy(hashed.begin(), hashed.end(), pad);
  } else {
    std::copy(key.begin(), key.end(), pad);
  }
  auto* inner = reinterpret_cast<SHA256_CTX*>(inner_);
  auto* outer = reinterpret_cast<SHA256_CTX*>(outer_);
  for (unsigned char& c : pad) c ^= 0x36;
  SHA256_Init(inner);
  SHA256_Update(inner, pad, kBlock);
  for (unsigned char& c : pad) c ^= 0x36 ^ 0x5c;
  SHA256_Init(outer);
  SHA256_Update(outer, pad, kBlock);
  OPENSSL_cleanse(pad, sizeof pad);
}

HmacSha256Key::~HmacSha256Key() {
  OPENSSL_cleanse(inner_, sizeof inner_);
  OPENSSL_cleanse(outer_, sizeof outer_);
}

Digest HmacSha256Key::Sign(std::string_view data) const {
  SHA256_CTX ctx = *reinterpret_cast<const SHA256_CTX*>(inner_);
  Digest inner{};
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(inner.data(), &ctx);
  ctx = *reinterpret_cast<const SHA256_CTX*>(outer_);
  Digest out{};
  SHA256_Update(&ctx, inner.data(), inner.size());
  SHA256_Final(out.data(), &ctx);
  OPENSSL_cleanse(&ctx, sizeof ctx);
  return out;
}

void AppendHex(std::string_view bytes, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const size_t at = out->size();
  out->resize(at + bytes.size() * 2);
  char* p = out->data() + at;
  for (char ch : bytes) {
    const auto b = static_cast<uint8_t>(ch);
    *p++ = kDigits[b >> 4];
    *p++ = kDigits[b & 15];
  }
}

std::string Hex(std::string_view bytes) {
  std::string out;
  AppendHex(bytes, &out);
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace meridian::security
