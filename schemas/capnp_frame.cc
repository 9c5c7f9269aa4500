#include "schemas/capnp_frame.h"

#include <capnp/any.h>
#include <capnp/serialize-packed.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>
#include <kj/io.h>

#include <algorithm>
#include <bit>
#include <cstring>

namespace meridian::schemas {
namespace {

// Most records fit this much scratch space (4 KiB), so reading allocates nothing.
constexpr size_t kScratchWords = 512;

// A kj output stream appending straight into a std::string.
class StringOutput final : public kj::BufferedOutputStream {
 public:
  explicit StringOutput(size_t capacity) { out_.resize(std::max<size_t>(capacity, 64)); }
  std::string Take() && {
    out_.resize(fill_);
    return std::move(out_);
  }
  kj::ArrayPtr<kj::byte> getWriteBuffer() override {
    if (fill_ == out_.size()) out_.resize(out_.size() * 2);
    return kj::arrayPtr(reinterpret_cast<kj::byte*>(out_.data()) + fill_, out_.size() - fill_);
  }
  void write(const void* buffer, size_t size) override {
    // Bytes already written in place through getWriteBuffer() are only counted.
    if (buffer != out_.data() + fill_) {
      if (out_.size() - fill_ < size) out_.resize(std::max(out_.size() * 2, fill_ + size));
      std::memcpy(out_.data() + fill_, buffer, size);
    }
    fill_ += size;
  }

 private:
  std::string out_;
  size_t fill_ = 0;
};

bool LooksPacked(std::string_view bytes) {
  const auto first = static_cast<uint8_t>(bytes[0]);
  return first != 0 && (first & 0x0f) == 0;
}

// Capnp's packing (https://capnproto.org/encoding.html#packing): per word a tag byte whose
// bit i says byte i is present (non-zero) and follows; tag 0x00 is followed by a count of
// further zero words, tag 0xff by a count of words copied verbatim. Unpacks exactly
// out.size() words from exactly all of `in` (capnp's stream reader costs several times
// more per byte). False for truncated input, runs past the end, or trailing bytes.
bool Unpack(std::string_view in, kj::ArrayPtr<capnp::word> out) {
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  const auto* const end = p + in.size();
  auto* w = reinterpret_cast<uint8_t*>(out.begin());
  auto* const w_end = reinterpret_cast<uint8_t*>(out.end());
  while (w != w_end) {
    if (p == end) return false;
    const uint8_t tag = *p++;
    if (tag == 0xff) {
      if (end - p < 9) return false;
      std::memcpy(w, p, 8);
      const size_t run = size_t{p[8]} * 8;
      p += 9;
      w += 8;
      if (static_cast<size_t>(end - p) < run || static_cast<size_t>(w_end - w) < run) return false;
      std::memcpy(w, p, run);
      p += run;
      w += run;
      continue;
    }
    for (int i = 0; i < 8; ++i) {
      if (tag & (1u << i)) {
        if (p == end) return false;
        w[i] = *p++;
      } else {
        w[i] = 0;
      }
    }
    w += 8;
    if (tag == 0) {
      if (p == end) return false;
      const size_t run = size_t{*p++} * 8;
      if (static_cast<size_t>(w_end - w) < run) return false;
      std::memset(w, 0, run);
      w += run;
    }
  }
  return p == end;
}

}  // namespace

std::string WritePacked(capnp::MessageBuilder& message) {
  const size_t words = capnp::computeSerializedSizeInWords(message);
  if (message.getSegmentsForOutput().size() > 1) {
    capnp::MallocMessageBuilder one(words);  // the content fits: it loses its far pointers
    one.getRoot<capnp::AnyPointer>().set(message.getRoot<capnp::AnyPointer>().asReader());
    return WritePacked(one);
  }
  StringOutput out(words * sizeof(capnp::word) + 16);
  capnp::writePackedMessage(out, message);
  return std::move(out).Take();
}

Status ReadFramed(std::string_view bytes, const char* what, uint64_t max_words,
                  kj::FunctionParam<Status(capnp::MessageReader&)> read) {
  auto corrupt = [&](const char* why) {
    return Status::Corruption(std::string(what) + ": " + why);
  };
  if (bytes.empty()) return corrupt("empty");
  capnp::ReaderOptions options;
  options.traversalLimitInWords = max_words;
  options.nestingLimit = kNestingLimit;
  try {
    if (LooksPacked(bytes)) {
      // The first tag has bits 0-3 clear: one segment, whose size the next bytes give.
      const size_t header = 1 + std::popcount(static_cast<uint8_t>(bytes[0]));
      capnp::word first;
      if (!Unpack(bytes.substr(0, header), kj::arrayPtr(&first, 1)))
        return corrupt("truncated segment table");
      uint32_t segment_words;
      std::memcpy(&segment_words, reinterpret_cast<const char*>(&first) + 4, 4);
      if (segment_words > max_words) return corrupt("message too large");
      // Two bytes (a zero tag and its count) unpack to at most 256 words: a size the input
      // cannot fill is refused before anything is allocated for it.
      if (segment_words > 128 * (bytes.size() - header) + 1) return corrupt("malformed packing");
      capnp::word scratch[kScratchWords];
      kj::Array<capnp::word> owned;
      if (segment_words + 1 > kScratchWords) owned = kj::heapArray<capnp::word>(segment_words + 1);
      kj::ArrayPtr<capnp::word> words(owned.size() > 0 ? owned.begin() : scratch,
                                      segment_words + 1);
      std::memcpy(words.begin(), &first, sizeof first);
      if (!Unpack(bytes.substr(header), words.slice(1, words.size())))
        return corrupt("malformed packing");
      capnp::FlatArrayMessageReader reader(words, options);
      return read(reader);
    }
    if (bytes.size() % sizeof(capnp::word) != 0) return corrupt("size is not a multiple of 8");
    if (bytes.size() / sizeof(capnp::word) > max_words + 512) return corrupt("message too large");
    kj::Array<capnp::word> copy;
    kj::ArrayPtr<const capnp::word> words;
    if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(capnp::word) == 0) {
      words = kj::arrayPtr(reinterpret_cast<const capnp::word*>(bytes.data()),
                           bytes.size() / sizeof(capnp::word));
    } else {
      // Peer payloads and RocksDB values carry no alignment guarantee.
      copy = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
      std::memcpy(copy.begin(), bytes.data(), bytes.size());
      words = copy.asPtr();
    }
    capnp::FlatArrayMessageReader reader(words, options);
    if (reader.getEnd() != words.end()) return corrupt("trailing bytes after the message");
    return read(reader);
  } catch (const kj::Exception& e) {
    return Status::Corruption(std::string(what) + ": " + e.getDescription().cStr());
  }
}

}  // namespace meridian::schemas
