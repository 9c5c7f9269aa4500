// The system's real-time clock in milliseconds since the Unix epoch: the one place the
// process reads it (conflict::SystemClock() wraps it for code that takes a clock).
#pragma once

#include <chrono>
#include <cstdint>

namespace meridian {

inline int64_t WallClockMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace meridian
