// Point-in-time recovery state and the cursors restores, backups and exports read item
// versions through (docs/backups.md).
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace meridian::store {

// PITR of one table in this region (local: every region decides for its own replica, as
// DynamoDB's per-replica setting). From enabled_ms on, every version of every item is kept
// in the history column family for period_days; a baseline of the items the table held when
// PITR was enabled is stamped enabled_ms - 1.
struct PitrState {
  uint64_t enabled_ms = 0;
  uint32_t period_days = 35;
  // The oldest restorable time at `now_ms`.
  uint64_t EarliestRestorable(uint64_t now_ms) const {
    const uint64_t period_ms = uint64_t{period_days} * 86'400'000;
    return now_ms > period_ms && now_ms - period_ms > enabled_ms ? now_ms - period_ms : enabled_ms;
  }
};

// DynamoDB's RecoveryPeriodInDays bounds.
inline constexpr uint32_t kMinPitrDays = 1;
inline constexpr uint32_t kMaxPitrDays = 35;

// A table's item versions (encoded conflict::ItemVersion, tombstones included) in key order:
// as of one RocksDB snapshot, or as of a past time from the PITR history.
class VersionCursor {
 public:
  virtual ~VersionCursor() = default;
  // The next item's key suffix and version; false at the end or on an error (status()).
  // The views stay valid until the next call.
  virtual bool Next(std::string_view* suffix, std::string_view* version) = 0;
  virtual Status status() const = 0;
};

}  // namespace meridian::store
