// Framing shared by the version and conflict-record codecs. Internal to conflict/.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>
#include <kj/io.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/status.h"

namespace meridian::conflict::internal {

// Most versions fit one first segment of this size (4 KiB), so encoding allocates once.
constexpr unsigned kFirstSegmentWords = 512;

// The flat (unpacked) serialization of `message`, written straight into the string.
inline std::string MessageToString(capnp::MessageBuilder& message) {
  const size_t words = capnp::computeSerializedSizeInWords(message);
  std::string out(words * sizeof(capnp::word), '\0');
  kj::ArrayOutputStream stream(kj::arrayPtr(reinterpret_cast<kj::byte*>(out.data()), out.size()));
  capnp::writeMessage(stream, message);
  return out;
}

// Runs `read(reader)` over `bytes`; kj::Exception and framing errors become Corruption.
// Unaligned input (RocksDB values carry no alignment guarantee) is copied first.
template <typename T, typename Read>
Result<T> WithReader(std::string_view bytes, const char* what, Read read) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) {
    return Status::Corruption(std::string(what) + ": size is not a positive multiple of 8");
  }
  kj::Array<capnp::word> copy;
  kj::ArrayPtr<const capnp::word> words;
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(capnp::word) == 0) {
    words = kj::arrayPtr(reinterpret_cast<const capnp::word*>(bytes.data()),
                         bytes.size() / sizeof(capnp::word));
  } else {
    copy = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
    std::memcpy(copy.begin(), bytes.data(), bytes.size());
    words = copy.asPtr();
  }
  try {
    capnp::FlatArrayMessageReader reader(words);
    if (reader.getEnd() != words.end()) {
      return Status::Corruption(std::string(what) + ": trailing bytes after the message");
    }
    return read(reader);
  } catch (const kj::Exception& e) {
    return Status::Corruption(std::string(what) + ": " + e.getDescription().cStr());
  }
}

}  // namespace meridian::conflict::internal
