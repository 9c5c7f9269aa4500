// Framing shared by the version and conflict-record codecs. Internal to conflict/.
#pragma once

#include <capnp/message.h>

#include <string>
#include <string_view>

#include "common/status.h"
#include "schemas/capnp_frame.h"

namespace meridian::conflict::internal {

// A version holds at most a 400 KB item plus its CRDT metadata; far more is garbage.
constexpr uint64_t kMaxMessageWords = (16u << 20) / 8;

// The stored form of `message` (schemas/capnp_frame.h: packed, one segment).
inline std::string MessageToString(capnp::MessageBuilder& message) {
  return schemas::WritePacked(message);
}

// Runs `read(reader)` over `bytes` (packed or flat, any alignment); malformed framing and
// kj::Exception become Corruption.
template <typename T, typename Read>
Result<T> WithReader(std::string_view bytes, const char* what, Read read) {
  return schemas::DecodeFramed<T>(bytes, what, kMaxMessageWords, std::move(read));
}

}  // namespace meridian::conflict::internal
