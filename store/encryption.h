// Encryption at rest: every file RocksDB writes through the store's Env (SST, WAL, MANIFEST,
// CURRENT, OPTIONS) is AES-256-CTR encrypted with a key read from a file.
//
// Each file starts with a 4 KiB plaintext prefix: a magic, a check value derived from the
// key (HMAC-SHA256, so the key cannot be recovered from it) and a random 128-bit IV. The
// body is encrypted with CTR from that IV, so any byte range can be read or written in
// place, as RocksDB's random-access readers need. Opening a directory with another key
// fails with "encryption key does not match" instead of reading garbage.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace rocksdb {
class Env;
}

namespace meridian::store {

inline constexpr size_t kEncryptionKeyBytes = 32;

// Reads a key file: 32 raw bytes, or 64 hex digits (surrounding whitespace ignored).
Result<std::string> ReadEncryptionKeyFile(const std::string& path);

// An Env that encrypts every file it creates and decrypts every file it opens, on top of
// rocksdb::Env::Default(). The returned Env must outlive every DB opened with it.
std::unique_ptr<rocksdb::Env> NewEncryptedEnv(const std::string& key);

}  // namespace meridian::store
