// Framing of the Cap'n Proto values Meridian stores and ships record by record (item
// versions, change-log records, conflict records).
//
// Written packed (capnp packing: runs of zero bytes collapse; about half the flat size for
// items) and always as one segment. Read packed or flat: a one-segment packed message
// starts with the tag of its segment table word, whose low four bits are 0 (segment count
// - 1 == 0) and which is not 0 (the segment is not empty); a flat message starts with its
// segment count - 1, which is 0 or, for the few-segment flat values earlier versions
// wrote, 1..15. Any alignment is accepted.
#pragma once

#include <capnp/message.h>
#include <kj/function.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace meridian::schemas {

// Pointer nesting a reader accepts. An item may nest 32 levels of maps and lists, and each
// level costs Cap'n Proto up to three pointers (value -> list -> attribute -> value), beyond
// the version and change-record structs around the item: capnp's default of 64 would refuse
// items DynamoDB accepts. Still small enough to bound the reader's recursion.
constexpr int kNestingLimit = 192;

// Most records fit a first segment of this many words (4 KiB).
constexpr size_t kScratchMessageWords = 512;

// A message builder whose first segment is this thread's reusable buffer (kept zeroed, so
// building a record neither allocates nor clears memory), or the heap when that buffer is
// already in use. One at a time per thread is the fast case; nesting works.
class ScratchMessage {
 public:
  ScratchMessage();
  ~ScratchMessage();
  ScratchMessage(const ScratchMessage&) = delete;
  ScratchMessage& operator=(const ScratchMessage&) = delete;
  capnp::MessageBuilder& builder() { return *builder_; }

 private:
  bool uses_scratch_;
  std::optional<capnp::MallocMessageBuilder> builder_;
};

// The packed one-segment serialization of `message` (copied into one segment first if the
// builder grew more).
std::string WritePacked(capnp::MessageBuilder& message);

// Runs `read` on the message in `bytes`. Corruption "<what>: ..." for malformed framing,
// trailing bytes, a message of more than `max_words` words, or a kj::Exception thrown by
// `read` (Cap'n Proto accessors throw on malformed pointers). Never throws.
Status ReadFramed(std::string_view bytes, const char* what, uint64_t max_words,
                  kj::FunctionParam<Status(capnp::MessageReader&)> read);

// ReadFramed for a reader returning Result<T>.
template <typename T, typename Read>
Result<T> DecodeFramed(std::string_view bytes, const char* what, uint64_t max_words, Read&& read) {
  std::optional<Result<T>> out;
  Status framing = ReadFramed(bytes, what, max_words, [&](capnp::MessageReader& reader) {
    out.emplace(read(reader));
    return Status::Ok();
  });
  if (!framing.ok()) return framing;
  return std::move(*out);
}

}  // namespace meridian::schemas
