// Fixed-width unsigned integers in big-endian byte order: byte order is then numeric order,
// which RocksDB keys (table ids, hashes, log sequence numbers) rely on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace meridian {

// Appends the low `bytes` (1..8) bytes of `value`, most significant first.
inline void AppendBigEndian(uint64_t value, int bytes, std::string* out) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

// `value` as `bytes` (1..8) big-endian bytes.
inline std::string BigEndian(uint64_t value, int bytes) {
  std::string out;
  out.reserve(static_cast<size_t>(bytes));
  AppendBigEndian(value, bytes, &out);
  return out;
}

// The unsigned integer in the first `bytes` (1..8) bytes of `in`; missing bytes (a short
// input) are left out, so callers check sizes where input is untrusted.
inline uint64_t ReadBigEndian(std::string_view in, int bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < static_cast<size_t>(bytes) && i < in.size(); ++i) {
    v = (v << 8) | static_cast<uint8_t>(in[i]);
  }
  return v;
}

}  // namespace meridian
