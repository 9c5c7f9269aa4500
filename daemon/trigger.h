// Triggers (docs/streams.md): the Lambda event source mapping, self-hosted. A trigger follows
// its table's stream in this region and delivers the records, in order and in batches, as a
// Lambda event ({"Records": [...]}) to a command or an HTTP URL. Delivery is at least once: the
// checkpoint (the last delivered seq, kept in the store) moves only after a delivery
// succeeded or its batch was written to the dead-letter file after the last retry.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "common/mutex.h"
#include "common/status.h"
#include "daemon/config.h"

namespace meridian::store {
class Store;
}

namespace meridian::daemon {

// Delivers `event` (JSON) to the trigger's command (stdin) or URL (POST). Ok = delivered.
Status DeliverEvent(const TriggerConfig& config, const std::string& event);

class Trigger {
 public:
  Trigger(store::Store* store, TriggerConfig config, std::string region, std::string account);
  ~Trigger();  // stops the thread
  Trigger(const Trigger&) = delete;
  Trigger& operator=(const Trigger&) = delete;

  void Start() EXCLUDES(mu_);
  void Stop() EXCLUDES(mu_);
  const TriggerConfig& config() const { return config_; }
  uint64_t delivered_records() const { return delivered_.load(); }
  uint64_t dead_lettered_batches() const { return dead_lettered_.load(); }

 private:
  struct Checkpoint {
    uint64_t label_ms = 0;  // the stream followed
    uint64_t seq = 0;       // its last record handled (0: none)
  };
  void Run() EXCLUDES(mu_);
  // One round: reads the next batch and delivers it. False when there was nothing to do.
  Result<bool> Step(Checkpoint* at) EXCLUDES(mu_);
  // Delivers with retries; after the last, writes the dead letter. False: stopped meanwhile.
  bool DeliverWithRetries(const std::string& event, uint64_t first_seq, uint64_t last_seq)
      EXCLUDES(mu_);
  Status SaveCheckpoint(const Checkpoint& at);
  // Sleeps up to `ms`; false when stopping.
  bool Pause(uint64_t ms) EXCLUDES(mu_);

  store::Store* store_;
  TriggerConfig config_;
  std::string region_, account_;
  std::atomic<uint64_t> delivered_{0}, dead_lettered_{0};
  // When the batch being filled saw its first record (the trigger's thread only).
  std::optional<std::chrono::steady_clock::time_point> batch_started_;
  Mutex mu_;
  CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace meridian::daemon
