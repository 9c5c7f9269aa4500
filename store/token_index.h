// An in-memory index of the ClientRequestTokens used in the last kTransactTokenTtlMs, so
// that a transaction with a new token (nearly every one: the AWS SDKs send a fresh token
// with each) is told so without a RocksDB lookup. It maps 64-bit fingerprints to the time
// the token was used (its record's key): a hit means "maybe seen", and the caller reads
// that record to be sure.
//
// Fingerprints are kept in generations of kGenerationMs by the time they were used; a
// generation is dropped once all of it is older than the TTL. Memory: about 20-40 bytes
// per token of the last 10-12 minutes (1,000 transactions/s: ~25 MB).
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>

namespace meridian::store {

class TokenIndex {
 public:
  static constexpr uint64_t kGenerationMs = uint64_t{2} * 60 * 1000;

  explicit TokenIndex(uint64_t ttl_ms) : ttl_ms_(ttl_ms) {}

  static uint64_t Fingerprint(std::string_view token);

  // Records a token used at `time_ms`, and drops the generations expired at that time.
  void Add(uint64_t fingerprint, uint64_t time_ms);
  // The newest time a token with this fingerprint was added in the last TTL (by now_ms);
  // nullopt: none was.
  std::optional<uint64_t> Find(uint64_t fingerprint, uint64_t now_ms) const;
  size_t size() const;

 private:
  void Expire(uint64_t now_ms);

  uint64_t ttl_ms_;
  // Generation start (a multiple of kGenerationMs) -> fingerprint -> time used.
  std::map<uint64_t, boost::unordered_flat_map<uint64_t, uint64_t>> generations_;
};

}  // namespace meridian::store
