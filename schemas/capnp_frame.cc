#include "schemas/capnp_frame.h"

#include <capnp/any.h>
#include <capnp/serialize-packed.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>
#include <kj/io.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>

namespace meridian::schemas {
namespace {

// Most records fit this much scratch space (4 KiB), so reading allocates nothing.
constexpr size_t kScratchWords = 512;
// A packed run counts at most 255 words.
constexpr std::ptrdiff_t kMaxRunBytes = std::ptrdiff_t{255} * 8;

uint64_t LoadWord(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// The high bit of each byte of the result is set iff that byte of `w` is not zero.
uint64_t NonZeroBytes(uint64_t w) {
  constexpr uint64_t k7f = 0x7f7f7f7f7f7f7f7fULL;
  return (((w & k7f) + k7f) | w) & ~k7f;
}

// How many bytes of a NonZeroBytes() result are set: its bytes' high bits, moved to bit 0 of
// each byte, summed into the top byte by one multiplication (std::popcount is a libgcc call
// on the baseline x86-64 this is built for).
int CountNonZero(uint64_t nonzero) {
  return static_cast<int>(((nonzero >> 7) * 0x0101010101010101ULL) >> 56);
}

// Packing's tag of a word: bit i set iff byte i is not zero (gathers the bytes' high bits).
uint8_t Tag(uint64_t nonzero) {
  return static_cast<uint8_t>(((nonzero >> 7) * 0x0102040810204080ULL) >> 56);
}

// Appends `n` words at `in`, packed exactly as capnp's PackedOutputStream packs one write()
// (the same bytes: digests and replicated records do not depend on which packs). A word at a
// time: its tag from the bytes' high bits, its non-zero bytes, and runs of zero words or of
// words with at most one zero byte (copied verbatim) measured a word at a time.
void PackWords(const uint8_t* in, size_t n, std::string* out) {
  const uint8_t* const end = in + n * 8;
  const size_t start = out->size();
  out->resize(start + n * 10 + 2);  // the worst case: a tag and a count per word
  auto* o = reinterpret_cast<uint8_t*>(out->data()) + start;
  while (in < end) {
    const uint64_t w = LoadWord(in);
    const uint8_t tag = Tag(NonZeroBytes(w));
    *o++ = tag;
    if (tag == 0xff) {
      std::memcpy(o, in, 8);
      o += 8;
      in += 8;
      // Further words with at most one zero byte go verbatim: a count, then the words.
      const uint8_t* run = in;
      while (run < end && run - in < kMaxRunBytes &&
             CountNonZero(NonZeroBytes(LoadWord(run))) >= 7) {
        run += 8;
      }
      const size_t bytes = static_cast<size_t>(run - in);
      *o++ = static_cast<uint8_t>(bytes / 8);
      std::memcpy(o, in, bytes);
      o += bytes;
      in = run;
      continue;
    }
    for (unsigned bits = tag; bits != 0; bits &= bits - 1) *o++ = in[std::countr_zero(bits)];
    in += 8;
    if (tag == 0) {
      // Further all-zero words: a count (at most 255).
      const uint8_t* run = in;
      while (run < end && run - in < kMaxRunBytes && LoadWord(run) == 0) run += 8;
      *o++ = static_cast<uint8_t>((run - in) / 8);
      in = run;
    }
  }
  out->resize(static_cast<size_t>(o - reinterpret_cast<uint8_t*>(out->data())));
}

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

// This thread's first segment for ScratchMessage: zeroed whenever it is free.
struct Scratch {
  capnp::word words[kScratchMessageWords] = {};
  bool in_use = false;
};
thread_local Scratch scratch;

}  // namespace

ScratchMessage::ScratchMessage() : uses_scratch_(!scratch.in_use) {
  if (uses_scratch_) {
    scratch.in_use = true;
    builder_.emplace(kj::arrayPtr(scratch.words, kScratchMessageWords));
  } else {
    builder_.emplace(kScratchMessageWords);
  }
}

ScratchMessage::~ScratchMessage() {
  if (!uses_scratch_) return;
  const auto segments = builder_->getSegmentsForOutput();
  const size_t used = segments.size() > 0 ? std::min(segments[0].size(), kScratchMessageWords) : 0;
  builder_.reset();
  std::memset(scratch.words, 0, used * sizeof(capnp::word));
  scratch.in_use = false;
}

std::string WritePacked(capnp::MessageBuilder& message) {
  const size_t words = capnp::computeSerializedSizeInWords(message);
  if (message.getSegmentsForOutput().size() > 1) {
    capnp::MallocMessageBuilder one(words);  // the content fits: it loses its far pointers
    one.getRoot<capnp::AnyPointer>().set(message.getRoot<capnp::AnyPointer>().asReader());
    return WritePacked(one);
  }
  // The segment table (one segment: its count - 1 = 0 and its size) and the segment are
  // packed as two separate writes, as capnp::writePackedMessage does.
  const auto segment = message.getSegmentsForOutput()[0];
  uint32_t table[2] = {0, static_cast<uint32_t>(segment.size())};
  std::string out;
  out.reserve(words * sizeof(capnp::word) + 16);
  PackWords(reinterpret_cast<const uint8_t*>(table), 1, &out);
  PackWords(reinterpret_cast<const uint8_t*>(segment.begin()), segment.size(), &out);
  return out;
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
