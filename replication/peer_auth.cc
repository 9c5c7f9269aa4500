#include "replication/peer_auth.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace meridian::replication {
namespace {

constexpr char kMagic[4] = {'M', 'P', 'A', '1'};
constexpr size_t kSignatureBytes = 64;
constexpr size_t kTrailerBytes = 1 + 4 + kSignatureBytes + sizeof(kMagic);
constexpr std::string_view kContext = "meridian peer message v1";

std::string SignedBytes(uint32_t region_id, std::string_view name, std::string_view payload) {
  std::string m;
  m.reserve(kContext.size() + 5 + name.size() + payload.size());
  m.append(kContext);
  for (int i = 0; i < 4; ++i) m.push_back(static_cast<char>(region_id >> (8 * i)));
  m.push_back(static_cast<char>(name.size()));
  m.append(name);
  m.append(payload);
  return m;
}

}  // namespace

struct PeerAuthenticator::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

Result<EVP_PKEY*> ReadPem(const std::string& path, bool private_key) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return Status::IOError("cannot read " + path);
  EVP_PKEY* key = private_key ? PEM_read_PrivateKey(f, nullptr, nullptr, nullptr)
                              : PEM_read_PUBKEY(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!key)
    return Status::InvalidArgument(path + " is not a PEM " + (private_key ? "private" : "public") +
                                   " key");
  if (EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return Status::InvalidArgument(path +
                                   " is not an Ed25519 key "
                                   "(openssl genpkey -algorithm ed25519)");
  }
  return key;
}

bool Verify(EVP_PKEY* key, std::string_view message, std::string_view signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
            EVP_DigestVerify(
                ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

PeerAuthenticator::~PeerAuthenticator() = default;

Result<PeerAuthenticator::KeyMap> PeerAuthenticator::ReadKeys(const std::string& dir) {
  KeyMap keys;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".pub") continue;
    auto pub = ReadPem(entry.path().string(), /*private_key=*/false);
    if (!pub.ok()) return pub.status();
    auto key = std::make_shared<Key>();
    key->pkey = *pub;
    keys.emplace(entry.path().stem().string(), std::move(key));
  }
  if (ec) return Status::IOError("peer_keys_dir " + dir + ": " + ec.message());
  return keys;
}

std::shared_ptr<PeerAuthenticator::Key> PeerAuthenticator::PublicKey(std::string_view region) {
  {
    ReaderMutexLock lock(&keys_mu_);
    auto it = public_keys_.find(region);
    if (it != public_keys_.end()) return it->second;
  }
  WriterMutexLock lock(&keys_mu_);
  const int64_t now = NowMs();
  if (now - last_reload_ms_ >= 5000) {  // a region added since: read the directory again
    last_reload_ms_ = now;
    auto keys = ReadKeys(keys_dir_);
    if (keys.ok()) public_keys_ = std::move(*keys);  // a broken file keeps the old set
  }
  auto it = public_keys_.find(region);
  return it == public_keys_.end() ? nullptr : it->second;
}

size_t PeerAuthenticator::configured_regions() const {
  ReaderMutexLock lock(&keys_mu_);
  return public_keys_.size();
}

Result<std::unique_ptr<PeerAuthenticator>> PeerAuthenticator::Load(
    const PeerIdentity& self, const std::string& private_key_file,
    const std::string& peer_keys_dir) {
  if (self.region.empty() || self.region.size() > 255)
    return Status::InvalidArgument("region name must be 1 to 255 bytes");
  std::unique_ptr<PeerAuthenticator> auth(new PeerAuthenticator());
  auth->self_ = self;
  auto priv = ReadPem(private_key_file, /*private_key=*/true);
  if (!priv.ok()) return priv.status();
  auth->private_key_ = std::make_unique<Key>();
  auth->private_key_->pkey = *priv;

  auth->keys_dir_ = peer_keys_dir;
  auto keys = ReadKeys(peer_keys_dir);
  if (!keys.ok()) return keys.status();
  const bool has_own = keys->count(self.region) > 0;
  {
    WriterMutexLock lock(&auth->keys_mu_);
    auth->public_keys_ = std::move(*keys);
    auth->last_reload_ms_ = NowMs();
  }
  if (!has_own)
    return Status::InvalidArgument("peer_keys_dir " + peer_keys_dir + " has no " + self.region +
                                   ".pub (every configured region's key, this one's too)");
  // The private key must belong to this region's published public key.
  std::string probe = auth->Seal("key check");
  auto opened = auth->Open(probe);
  if (!opened.ok())
    return Status::InvalidArgument(private_key_file + " does not match " + self.region + ".pub");
  auth->unsigned_ = auth->unknown_ = auth->bad_signature_ = auth->conflict_ = 0;
  return auth;
}

std::string PeerAuthenticator::Seal(std::string_view payload) const {
  const std::string& name = self_.region;
  std::string message = SignedBytes(self_.region_id, name, payload);
  unsigned char signature[kSignatureBytes] = {};
  size_t sig_len = sizeof(signature);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, private_key_->pkey) == 1 &&
      EVP_DigestSign(ctx, signature, &sig_len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) sig_len = 0;  // cannot happen with a valid Ed25519 key; the peer rejects it
  std::string sealed;
  sealed.reserve(payload.size() + name.size() + kTrailerBytes);
  sealed.append(payload);
  sealed.append(name);
  sealed.push_back(static_cast<char>(name.size()));
  for (int i = 0; i < 4; ++i) sealed.push_back(static_cast<char>(self_.region_id >> (8 * i)));
  sealed.append(reinterpret_cast<const char*>(signature), kSignatureBytes);
  sealed.append(kMagic, sizeof(kMagic));
  return sealed;
}

Result<std::pair<std::string_view, uint32_t>> PeerAuthenticator::Open(std::string_view sealed) {
  auto reject = [](std::atomic<uint64_t>& counter, const char* why) -> Status {
    counter.fetch_add(1, std::memory_order_relaxed);
    return Status::InvalidArgument(why);
  };
  if (sealed.size() < kTrailerBytes ||
      std::memcmp(sealed.data() + sealed.size() - sizeof(kMagic), kMagic, sizeof(kMagic)) != 0)
    return reject(unsigned_, "unsigned peer message");
  const size_t sig_at = sealed.size() - sizeof(kMagic) - kSignatureBytes;
  std::string_view signature = sealed.substr(sig_at, kSignatureBytes);
  uint32_t region_id = 0;
  for (int i = 0; i < 4; ++i)
    region_id |= static_cast<uint32_t>(static_cast<unsigned char>(sealed[sig_at - 4 + i]))
                 << (8 * i);
  const size_t name_len = static_cast<unsigned char>(sealed[sig_at - 5]);
  if (sig_at - 5 < name_len) return reject(unsigned_, "truncated peer message");
  const size_t name_at = sig_at - 5 - name_len;
  std::string_view name = sealed.substr(name_at, name_len);
  std::string_view payload = sealed.substr(0, name_at);
  auto key = PublicKey(name);
  if (!key) return reject(unknown_, "message from an unconfigured region");
  if (!Verify(key->pkey, SignedBytes(region_id, name, payload), signature))
    return reject(bad_signature_, "bad peer signature");
  {
    MutexLock lock(&mu_);
    auto [it, inserted] = name_of_id_.emplace(region_id, std::string(name));
    bool conflicting = !inserted && it->second != name;
    if (!conflicting && inserted) {
      for (const auto& [id, other] : name_of_id_)
        if (id != region_id && other == name) conflicting = true;
      if (conflicting) name_of_id_.erase(it);
    }
    if (conflicting) return reject(conflict_, "region id and name do not match earlier messages");
  }
  return std::make_pair(payload, region_id);
}

PeerAuthCounters PeerAuthenticator::counters() const {
  PeerAuthCounters c;
  c.unsigned_messages = unsigned_.load(std::memory_order_relaxed);
  c.unknown_region = unknown_.load(std::memory_order_relaxed);
  c.bad_signature = bad_signature_.load(std::memory_order_relaxed);
  c.identity_conflict = conflict_.load(std::memory_order_relaxed);
  c.impersonation = impersonation_.load(std::memory_order_relaxed);
  return c;
}

namespace {

class AuthenticatedTransport final : public Transport {
 public:
  AuthenticatedTransport(std::unique_ptr<Transport> inner, std::shared_ptr<PeerAuthenticator> auth)
      : inner_(std::move(inner)), auth_(std::move(auth)) {}

  Status Publish(std::string_view subject, std::string_view payload) override {
    return inner_->Publish(subject, auth_->Seal(payload));
  }
  Status Subscribe(std::string_view subject, MessageHandler handler) override {
    return inner_->Subscribe(subject,
                             [auth = auth_, handler = std::move(handler)](const InboundMessage& m) {
                               auto opened = auth->Open(m.payload);
                               if (!opened.ok()) return;  // counted
                               InboundMessage verified = m;
                               verified.payload = opened->first;
                               verified.peer = opened->second;
                               handler(verified);
                             });
  }
  Result<std::string> Request(std::string_view subject, std::string_view payload,
                              std::chrono::milliseconds timeout) override {
    auto reply = inner_->Request(subject, auth_->Seal(payload), timeout);
    if (!reply.ok()) return reply;
    auto opened = auth_->Open(*reply);
    if (!opened.ok()) return Status::IOError("reply rejected: " + opened.status().message());
    return std::string(opened->first);
  }
  bool connected() const override { return inner_->connected(); }
  std::string last_error() const override { return inner_->last_error(); }

 private:
  std::unique_ptr<Transport> inner_;
  std::shared_ptr<PeerAuthenticator> auth_;
};

}  // namespace

std::unique_ptr<Transport> NewAuthenticatedTransport(std::unique_ptr<Transport> inner,
                                                     std::shared_ptr<PeerAuthenticator> auth) {
  return std::make_unique<AuthenticatedTransport>(std::move(inner), std::move(auth));
}

}  // namespace meridian::replication
