// Hybrid logical clock (docs/design.md section 5): 48-bit milliseconds since the Unix epoch and a
// 16-bit logical counter packed into one uint64 (millis << 16 | logical), so timestamps
// compare as integers. A clock never goes backwards, advances past every timestamp it
// adopts, and refuses to be dragged forward by a remote clock that is too far ahead.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include "common/mutex.h"

namespace meridian::conflict {

class Hlc {
 public:
  static constexpr int kLogicalBits = 16;
  static constexpr uint64_t kMaxMillis = (uint64_t{1} << 48) - 1;

  // The zero timestamp: older than every real one.
  constexpr Hlc() = default;
  static constexpr Hlc FromPacked(uint64_t packed) { return Hlc(packed); }
  // REQUIRES: millis <= kMaxMillis.
  static constexpr Hlc FromParts(uint64_t millis, uint16_t logical) {
    return Hlc(millis << kLogicalBits | logical);
  }

  constexpr uint64_t packed() const { return packed_; }
  constexpr uint64_t millis() const { return packed_ >> kLogicalBits; }
  constexpr uint16_t logical() const { return static_cast<uint16_t>(packed_); }

  // The smallest timestamp after this one: logical + 1, carrying into the milliseconds when
  // the logical counter is full (the clock then runs up to 1 ms ahead of physical time).
  // Saturates at the largest timestamp (year 10889, or a corrupt remote) instead of wrapping.
  constexpr Hlc Next() const { return Hlc(packed_ == UINT64_MAX ? packed_ : packed_ + 1); }

  // "millis.logical", e.g. "1700000000123.4".
  std::string ToString() const;

  constexpr auto operator<=>(const Hlc&) const = default;

 private:
  constexpr explicit Hlc(uint64_t packed) : packed_(packed) {}
  uint64_t packed_ = 0;
};

// Source of physical time, injected so tests and the simulation control it.
class PhysicalClock {
 public:
  virtual ~PhysicalClock() = default;
  // Milliseconds since the Unix epoch. May jump backwards; the HLC hides that.
  virtual uint64_t NowMillis() = 0;
};

// The system's real-time clock (a process-wide instance).
PhysicalClock* SystemClock();

// Thread-safe.
class HybridLogicalClock {
 public:
  // REQUIRES: `physical` outlives the clock.
  HybridLogicalClock(PhysicalClock* physical, uint64_t max_clock_skew_ms);

  HybridLogicalClock(const HybridLogicalClock&) = delete;
  HybridLogicalClock& operator=(const HybridLogicalClock&) = delete;

  // A timestamp for a local event (a write): strictly greater than every timestamp this
  // clock returned or adopted before, and at least the physical time.
  Hlc Now();

  struct Observation {
    Hlc clock;              // the clock's value afterwards (never less than before)
    bool skewed = false;    // remote was more than max_clock_skew ahead: not adopted
    uint64_t ahead_ms = 0;  // how far remote was ahead of physical time (0 if behind)
  };

  // Folds in a timestamp received from another region, so later Now() calls order after
  // it. A remote timestamp more than max_clock_skew_ms ahead of physical time is flagged
  // (the caller counts it) and not adopted: one region's broken clock cannot drag every
  // other clock into the future. The local clock never moves backwards either way.
  Observation Observe(Hlc remote);

  // The latest timestamp returned or adopted (zero before the first call).
  Hlc Current() const;

  uint64_t max_clock_skew_ms() const { return max_skew_ms_; }

 private:
  // Constant after construction.
  PhysicalClock* const physical_;
  const uint64_t max_skew_ms_;

  mutable Mutex mu_;
  Hlc last_ GUARDED_BY(mu_);
};

}  // namespace meridian::conflict
