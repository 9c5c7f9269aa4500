// Test helper: Ed25519 key pairs written as PEM, as `openssl genpkey -algorithm ed25519`
// and `openssl pkey -pubout` would (peer_auth.h reads them).
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace meridian::testing {

// Writes <dir>/<name>.key (private) and, when `publish`, <keys_dir>/<name>.pub.
inline std::string WritePeerKey(const std::filesystem::path& dir,
                                const std::filesystem::path& keys_dir, const std::string& name,
                                bool publish = true) {
  std::filesystem::create_directories(dir);
  std::filesystem::create_directories(keys_dir);
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  const std::string priv = (dir / (name + ".key")).string();
  std::FILE* f = std::fopen(priv.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  if (publish) {
    f = std::fopen((keys_dir / (name + ".pub")).c_str(), "w");
    PEM_write_PUBKEY(f, key);
    std::fclose(f);
  }
  EVP_PKEY_free(key);
  return priv;
}

}  // namespace meridian::testing
