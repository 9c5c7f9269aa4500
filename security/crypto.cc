#include "security/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace meridian::security {
namespace {

constexpr size_t kBlock = 64;  // SHA-256's block size

// OpenSSL 3 looks a digest up in its provider tables on every EVP_sha256()/HMAC() call and
// allocates a context each time; SigV4 hashes several short strings per request, so the
// digest is fetched once and each thread reuses one context.
class Sha256Context {
 public:
  Sha256Context() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || !Md()) throw std::runtime_error("OpenSSL: no SHA-256");
  }
  ~Sha256Context() { EVP_MD_CTX_free(ctx_); }
  Sha256Context(const Sha256Context&) = delete;
  Sha256Context& operator=(const Sha256Context&) = delete;

  Digest Hash(std::string_view a, std::string_view b = {}) {
    Digest out{};
    unsigned int n = 0;
    EVP_DigestInit_ex2(ctx_, Md(), nullptr);
    EVP_DigestUpdate(ctx_, a.data(), a.size());
    if (!b.empty()) EVP_DigestUpdate(ctx_, b.data(), b.size());
    EVP_DigestFinal_ex(ctx_, out.data(), &n);
    return out;
  }

 private:
  static const EVP_MD* Md() {
    static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(
        EVP_MD_fetch(nullptr, "SHA256", nullptr), &EVP_MD_free);
    return md.get();
  }
  EVP_MD_CTX* ctx_;
};

Sha256Context& ThreadContext() {
  thread_local Sha256Context context;
  return context;
}

}  // namespace

Digest Sha256(std::string_view data) { return ThreadContext().Hash(data); }

// RFC 2104: H((K ^ opad) || H((K ^ ipad) || data)), K zero-padded to a block (hashed first
// when longer).
Digest HmacSha256(std::string_view key, std::string_view data) {
  Sha256Context& sha = ThreadContext();
  unsigned char pad[kBlock] = {};
  if (key.size() > kBlock) {
    const Digest hashed = sha.Hash(key);
    std::copy(hashed.begin(), hashed.end(), pad);
  } else {
    std::copy(key.begin(), key.end(), pad);
  }
  for (unsigned char& c : pad) c ^= 0x36;
  const auto view = [](const auto& bytes, size_t n) {
    return std::string_view(reinterpret_cast<const char*>(bytes), n);
  };
  const Digest inner = sha.Hash(view(pad, kBlock), data);
  for (unsigned char& c : pad) c ^= 0x36 ^ 0x5c;
  const Digest out = sha.Hash(view(pad, kBlock), AsView(inner));
  OPENSSL_cleanse(pad, sizeof pad);
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
