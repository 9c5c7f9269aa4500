#include "store/encryption.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <rocksdb/env.h>
#include <rocksdb/env_encryption.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>

#include "security/crypto.h"

namespace meridian::store {
namespace {

constexpr size_t kPrefixBytes = 4096;  // one page: keeps the body aligned for direct I/O
constexpr size_t kAesBlock = 16;
constexpr char kMagic[8] = {'M', 'R', 'D', 'N', 'E', 'N', 'C', '1'};
constexpr size_t kCheckBytes = 16;
constexpr size_t kCheckOffset = sizeof(kMagic);
constexpr size_t kIvOffset = kCheckOffset + kCheckBytes;

std::string KeyCheck(const std::string& key) {
  auto mac = security::HmacSha256(key, "meridian encryption key check v1");
  return std::string(security::AsView(mac).substr(0, kCheckBytes));
}

// The CTR counter block for `block_index` blocks past `iv` (a 128-bit big-endian add).
void CounterAt(const unsigned char* iv, uint64_t block_index, unsigned char* out) {
  std::memcpy(out, iv, kAesBlock);
  uint64_t carry = block_index;
  for (int i = static_cast<int>(kAesBlock) - 1; i >= 0 && carry != 0; --i) {
    uint64_t sum = static_cast<uint64_t>(out[i]) + (carry & 0xff);
    out[i] = static_cast<unsigned char>(sum);
    carry = (carry >> 8) + (sum >> 8);
  }
}

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

// AES-256-CTR over any byte range of a file body; encryption and decryption are the same.
class CtrStream final : public rocksdb::BlockAccessCipherStream {
 public:
  CtrStream(const std::string& key, const unsigned char* iv) : key_(key) {
    std::memcpy(iv_, iv, kAesBlock);
  }

  size_t BlockSize() override { return kAesBlock; }
  rocksdb::Status Encrypt(uint64_t offset, char* data, size_t size) override {
    return Apply(offset, data, size);
  }
  rocksdb::Status Decrypt(uint64_t offset, char* data, size_t size) override {
    return Apply(offset, data, size);
  }

 protected:
  void AllocateScratch(std::string& scratch) override { scratch.resize(kAesBlock); }
  rocksdb::Status EncryptBlock(uint64_t index, char* data, char*) override {
    return Apply(index * kAesBlock, data, kAesBlock);
  }
  rocksdb::Status DecryptBlock(uint64_t index, char* data, char*) override {
    return Apply(index * kAesBlock, data, kAesBlock);
  }

 private:
  rocksdb::Status Apply(uint64_t offset, char* data, size_t size) {
    // One context per thread: RocksDB reads one file from several threads at once.
    thread_local std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> ctx(EVP_CIPHER_CTX_new());
    if (!ctx) return rocksdb::Status::IOError("EVP_CIPHER_CTX_new failed");
    unsigned char counter[kAesBlock];
    CounterAt(iv_, offset / kAesBlock, counter);
    auto* key = reinterpret_cast<const unsigned char*>(key_.data());
    if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_ctr(), nullptr, key, counter) != 1) {
      return rocksdb::Status::IOError("AES-256-CTR init failed");
    }
    int out_len = 0;
    if (size_t skip = offset % kAesBlock; skip != 0) {  // advance the keystream to `offset`
      unsigned char discard[kAesBlock] = {};
      if (EVP_EncryptUpdate(ctx.get(), discard, &out_len, discard, static_cast<int>(skip)) != 1)
        return rocksdb::Status::IOError("AES-256-CTR failed");
    }
    auto* bytes = reinterpret_cast<unsigned char*>(data);
    while (size > 0) {
      int chunk = static_cast<int>(std::min<size_t>(size, 1 << 30));
      if (EVP_EncryptUpdate(ctx.get(), bytes, &out_len, bytes, chunk) != 1)
        return rocksdb::Status::IOError("AES-256-CTR failed");
      bytes += chunk;
      size -= static_cast<size_t>(chunk);
    }
    return rocksdb::Status::OK();
  }

  const std::string key_;  // 32 bytes
  unsigned char iv_[kAesBlock];
};

class AesCtrProvider final : public rocksdb::EncryptionProvider {
 public:
  explicit AesCtrProvider(std::string key) : key_(std::move(key)), check_(KeyCheck(key_)) {}

  const char* Name() const override { return "MeridianAesCtr"; }
  size_t GetPrefixLength() const override { return kPrefixBytes; }

  rocksdb::Status CreateNewPrefix(const std::string&, char* prefix, size_t length) const override {
    if (length < kPrefixBytes) return rocksdb::Status::InvalidArgument("prefix too short");
    std::memset(prefix, 0, length);
    std::memcpy(prefix, kMagic, sizeof(kMagic));
    std::memcpy(prefix + kCheckOffset, check_.data(), kCheckBytes);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(prefix + kIvOffset), kAesBlock) != 1) {
      return rocksdb::Status::IOError("no random bytes for a file IV");
    }
    return rocksdb::Status::OK();
  }

  rocksdb::Status AddCipher(const std::string&, const char*, size_t, bool) override {
    return rocksdb::Status::NotSupported("the key comes from encryption_key_file");
  }

  rocksdb::Status CreateCipherStream(
      const std::string& fname, const rocksdb::EnvOptions&, rocksdb::Slice& prefix,
      std::unique_ptr<rocksdb::BlockAccessCipherStream>* result) override {
    if (prefix.size() < kPrefixBytes || std::memcmp(prefix.data(), kMagic, sizeof(kMagic)) != 0) {
      return rocksdb::Status::Corruption(fname + " is not encrypted by Meridian (or is damaged)");
    }
    if (!security::ConstantTimeEquals(std::string_view(prefix.data() + kCheckOffset, kCheckBytes),
                                      check_)) {
      return rocksdb::Status::Corruption("encryption key does not match the one " + fname +
                                         " was written with");
    }
    *result = std::make_unique<CtrStream>(
        key_, reinterpret_cast<const unsigned char*>(prefix.data() + kIvOffset));
    return rocksdb::Status::OK();
  }

 private:
  std::string key_;
  std::string check_;
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> ReadEncryptionKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read encryption_key_file " + path);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (raw.size() == kEncryptionKeyBytes) return raw;
  std::string text = raw;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  text = text.substr(start);
  if (text.size() == 2 * kEncryptionKeyBytes) {
    std::string key(kEncryptionKeyBytes, '\0');
    bool valid = true;
    for (size_t i = 0; i < kEncryptionKeyBytes && valid; ++i) {
      int hi = HexValue(text[2 * i]), lo = HexValue(text[2 * i + 1]);
      valid = hi >= 0 && lo >= 0;
      key[i] = static_cast<char>((hi << 4) | lo);
    }
    if (valid) return key;
  }
  return Status::InvalidArgument("encryption_key_file " + path +
                                 " must hold a 256-bit key: 32 raw bytes or 64 hex digits "
                                 "(e.g. `openssl rand -hex 32`)");
}

std::unique_ptr<rocksdb::Env> NewEncryptedEnv(const std::string& key) {
  auto provider = std::make_shared<AesCtrProvider>(key);
  return std::unique_ptr<rocksdb::Env>(rocksdb::NewEncryptedEnv(rocksdb::Env::Default(), provider));
}

}  // namespace meridian::store
