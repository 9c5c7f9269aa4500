#include "store/token_index.h"

#include <algorithm>
#include <functional>

namespace meridian::store {

uint64_t TokenIndex::Fingerprint(std::string_view token) {
  return std::hash<std::string_view>{}(token);
}

void TokenIndex::Add(uint64_t fingerprint, uint64_t time_ms) {
  Expire(time_ms);
  uint64_t& time = generations_[time_ms - time_ms % kGenerationMs][fingerprint];
  time = std::max(time, time_ms);
}

std::optional<uint64_t> TokenIndex::Find(uint64_t fingerprint, uint64_t now_ms) const {
  for (auto gen = generations_.rbegin(); gen != generations_.rend(); ++gen) {
    // A generation that ended before the TTL window holds only expired tokens.
    if (gen->first + kGenerationMs + ttl_ms_ <= now_ms) break;
    if (auto it = gen->second.find(fingerprint); it != gen->second.end()) return it->second;
  }
  return std::nullopt;
}

size_t TokenIndex::size() const {
  size_t n = 0;
  for (const auto& [start, set] : generations_) n += set.size();
  return n;
}

void TokenIndex::Expire(uint64_t now_ms) {
  while (!generations_.empty() && generations_.begin()->first + kGenerationMs + ttl_ms_ <= now_ms) {
    generations_.erase(generations_.begin());
  }
}

}  // namespace meridian::store
