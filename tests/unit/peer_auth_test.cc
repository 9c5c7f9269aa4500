// PeerAuthenticator: signed envelopes round-trip; unsigned, unknown, altered and
// identity-swapping messages are rejected and counted; garbage never crashes.
#include "replication/peer_auth.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

#include "peer_keys.h"

namespace meridian::replication {
namespace {

struct Keys {
  Keys() {
    dir = std::filesystem::temp_directory_path() /
          ("meridian_peer_auth_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    keys_dir = dir / "peers";
    a_key = testing::WritePeerKey(dir, keys_dir, "a");
    b_key = testing::WritePeerKey(dir, keys_dir, "b");
    rogue_key = testing::WritePeerKey(dir, keys_dir, "rogue", /*publish=*/false);
  }
  ~Keys() { std::filesystem::remove_all(dir); }
  std::unique_ptr<PeerAuthenticator> Load(const std::string& name, uint32_t id,
                                          const std::string& key) {
    auto auth = PeerAuthenticator::Load({name, id}, key, keys_dir.string());
    EXPECT_TRUE(auth.ok()) << auth.status().message();
    return auth.ok() ? std::move(auth).value() : nullptr;
  }
  std::filesystem::path dir, keys_dir;
  std::string a_key, b_key, rogue_key;
};

TEST(PeerAuthTest, SealedMessagesOpenWithTheSignersRegion) {
  Keys k;
  auto a = k.Load("a", 1, k.a_key);
  auto b = k.Load("b", 2, k.b_key);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->configured_regions(), 2u);
  for (const std::string& payload : {std::string(), std::string("x"), std::string(70000, '\x07')}) {
    const std::string sealed = b->Seal(payload);  // Open's view points into it
    auto opened = a->Open(sealed);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    EXPECT_EQ(opened->first, payload);
    EXPECT_EQ(opened->second, 2u);
  }
  EXPECT_EQ(a->counters().total(), 0u);
}

TEST(PeerAuthTest, UnsignedUnknownAndAlteredMessagesAreRejected) {
  Keys k;
  auto a = k.Load("a", 1, k.a_key);
  auto b = k.Load("b", 2, k.b_key);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(a->Open("plain capnp bytes").ok());
  EXPECT_EQ(a->counters().unsigned_messages, 1u);

  // A process with a key that is not in peer_keys_dir: it cannot even load as a region...
  EXPECT_FALSE(PeerAuthenticator::Load({"rogue", 9}, k.rogue_key, k.keys_dir.string()).ok());
  // ...and a message signed with b's name but another key fails the signature.
  auto impostor = PeerAuthenticator::Load({"a", 1}, k.rogue_key, k.keys_dir.string());
  EXPECT_FALSE(impostor.ok());  // its private key does not match a.pub

  std::string sealed = b->Seal("change batch bytes");
  for (size_t i = 0; i < sealed.size(); ++i) {  // every single-byte alteration is caught
    std::string altered = sealed;
    altered[i] = static_cast<char>(altered[i] ^ 0x5a);
    EXPECT_FALSE(a->Open(altered).ok()) << "byte " << i;
  }
  const auto c = a->counters();
  EXPECT_EQ(c.unsigned_messages + c.unknown_region + c.bad_signature, 1 + sealed.size());
  EXPECT_GT(c.bad_signature, 0u);
  EXPECT_GT(c.unknown_region, 0u);  // altered names are regions nobody configured
}

TEST(PeerAuthTest, OneRegionIdCannotChangeItsName) {
  Keys k;
  auto a = k.Load("a", 1, k.a_key);
  auto b2 = k.Load("b", 2, k.b_key);
  auto b5 = k.Load("b", 5, k.b_key);  // the same key claiming another id
  ASSERT_TRUE(a && b2 && b5);
  EXPECT_TRUE(a->Open(b2->Seal("hb")).ok());
  EXPECT_FALSE(a->Open(b5->Seal("hb")).ok());
  EXPECT_EQ(a->counters().identity_conflict, 1u);
  EXPECT_TRUE(a->Open(b2->Seal("hb")).ok());  // the first binding still stands
}

TEST(PeerAuthTest, GarbageAndTruncationsNeverCrash) {
  Keys k;
  auto a = k.Load("a", 1, k.a_key);
  auto b = k.Load("b", 2, k.b_key);
  ASSERT_TRUE(a && b);
  const std::string sealed = b->Seal("payload");
  std::mt19937 rng(7);
  size_t accepted = 0;
  for (size_t n = 0; n <= sealed.size(); ++n) accepted += a->Open(sealed.substr(0, n)).ok();
  for (size_t n = 0; n < sealed.size(); ++n) accepted += a->Open(sealed.substr(n)).ok();
  for (int i = 0; i < 5000; ++i) {
    std::string junk(rng() % 200, '\0');
    for (auto& ch : junk) ch = static_cast<char>(rng());
    if (rng() % 2 && junk.size() >= 4) junk.replace(junk.size() - 4, 4, "MPA1");
    accepted += a->Open(junk).ok();
  }
  EXPECT_EQ(accepted, 2u);  // the whole message, once from each loop
}

}  // namespace
}  // namespace meridian::replication
