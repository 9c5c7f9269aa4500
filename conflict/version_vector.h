// Dots and version vectors: the causal metadata of an item version (docs/design.md section 5).
//
// A Dot names one write: the `seq`-th record of `region`'s change log. Seqs are gapless per
// region across all items, so one item sees a subsequence of them; but a region's writes to
// one item form a chain (each is built from the region's stored version, which holds the
// previous one), so "the highest seq of region R this version has seen" describes exactly
// which of R's writes to this item it has seen. A VersionVector is that map R -> seq.
//
// Values only; not thread-safe (copy per thread).
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace meridian::conflict {

// A region's small integer id, assigned from the cluster config.
using RegionId = uint32_t;

// One write: record `seq` (>= 1) of `region`'s change log. seq == 0 means "no write".
struct Dot {
  RegionId region = 0;
  uint64_t seq = 0;

  bool valid() const { return seq != 0; }
  std::string ToString() const;  // "region:seq"
  auto operator<=>(const Dot&) const = default;
};

// How version `a` relates to version `b` by causality.
enum class CausalOrder : uint8_t {
  kEqual,       // same set of writes
  kBefore,      // a has seen a strict subset of b's writes
  kAfter,       // a has seen a strict superset of b's writes
  kConcurrent,  // each has seen a write the other has not
};
const char* CausalOrderName(CausalOrder order);

class VersionVector {
 public:
  struct Entry {
    RegionId region = 0;
    uint64_t seq = 0;
    bool operator==(const Entry&) const = default;
  };

  // The empty vector: a version that has seen no write (an item never written).
  VersionVector() = default;

  // Builds a vector from entries in any order; zero seqs are dropped and a repeated region
  // keeps its highest seq.
  static VersionVector FromEntries(std::vector<Entry> entries);

  // The highest seq of `region` seen, or 0.
  uint64_t Get(RegionId region) const;

  // True when the write `dot` has been seen (dot.seq <= Get(dot.region)). An invalid dot
  // (seq 0) is always covered.
  bool Covers(const Dot& dot) const { return dot.seq <= Get(dot.region); }

  // Records that `dot` has been seen: raises dot.region's entry to dot.seq (no-op when it is
  // already >= dot.seq).
  void Add(const Dot& dot);

  // Records the next write of `region` (Get(region) + 1) and returns its dot. For callers
  // whose seqs are per item; the change log assigns seqs with Add().
  Dot Increment(RegionId region);

  // Pointwise maximum: afterwards *this has seen every write either had seen.
  void Join(const VersionVector& other);

  // Causal relation of *this (a) to `other` (b).
  CausalOrder Compare(const VersionVector& other) const;

  // True when every write *this has seen, `other` has seen too (kEqual or kBefore).
  bool LessOrEqual(const VersionVector& other) const;

  // Entries sorted by region, every seq >= 1.
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

  // "{1:5,2:7}" for logs and test failures.
  std::string ToString() const;

  // Compact encoding (for heartbeats, dependency vectors and logs), appended to *out:
  //   varint(count), then per entry in region order varint(region - previous region)
  //   and varint(seq), LEB128 varints. Three regions with seqs below 2^35 take <= 19 bytes.
  void EncodeCompact(std::string* out) const;
  std::string EncodeCompact() const;

  // Decodes one vector from the front of *in and advances *in past it. Corruption for
  // truncated input, varints over 64 bits, region ids over 32 bits, zero seqs or repeated
  // regions; *in is unspecified after an error.
  static Result<VersionVector> DecodeCompact(std::string_view* in);

  bool operator==(const VersionVector& other) const = default;

 private:
  std::vector<Entry> entries_;  // sorted by region, seq >= 1
};

}  // namespace meridian::conflict
