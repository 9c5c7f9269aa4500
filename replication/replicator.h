// Active-active replication of one region (DESIGN.md section 4):
//  - publisher: ships this region's committed changes, batched by count and bytes, on
//    meridian.<cluster>.changes.<region>;
//  - receiver: validates peer batches (garbage is counted and dropped) and queues them;
//  - applier: applies each origin's changes in seq order, only once their causal
//    dependencies (the origin's applied vector at commit) are applied here; a gap is fetched
//    by request/reply on meridian.<cluster>.fetch.<peer> from the origin or any other peer
//    that holds the records (every region stores what it applied);
//  - heartbeats: every period, {head seq, applied vector} on meridian.<cluster>.heartbeat.<region>,
//    which reveal gaps when the live stream is quiet and give lag per peer;
//  - fetch responder: serves any origin's records from the local log;
//  - backfill (backfill.cc): a replica added here by UpdateTable copies the table from a
//    peer replica in snapshot chunks (request/reply on meridian.<cluster>.snapshot.<peer>),
//    and answers such requests for the tables it holds;
//  - log trimming (trim.cc): records every known region has applied are deleted, and
//    records beyond `log_retention` per origin too when it is set (a region that needed
//    those re-bootstraps from a peer's snapshot: rebootstrap.cc).
// All network use goes through Transport, all time through a conflict::PhysicalClock.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "conflict/hlc.h"
#include "conflict/version_vector.h"
#include "replication/transport.h"

namespace meridian::store {
class Store;
struct TableInfo;
}

namespace meridian::replication {

struct ReplicatorOptions {
  std::string cluster = "meridian";
  std::string region_name;
  conflict::RegionId region_id = 0;
  std::string server_id;
  std::chrono::milliseconds heartbeat{250};
  size_t batch_max_changes = 1024;
  size_t batch_max_bytes = 1 << 20;
  std::chrono::microseconds linger{5000};
  std::chrono::milliseconds fetch_timeout{1000};
  std::chrono::milliseconds fetch_grace{30};  // a gap must persist this long to be fetched
  size_t fetch_max_changes = 16384;
  size_t fetch_max_bytes = 4 << 20;  // under NATS max_payload (8 MB in deploy/nats)
  size_t max_pending_changes = 1'000'000;  // held out-of-order changes, all origins
  size_t snapshot_chunk_bytes = 1 << 20;
  // Log records kept per origin beyond what every known region has applied; older ones are
  // deleted anyway (0 = keep everything until acknowledged by all).
  uint64_t log_retention = 0;
  std::chrono::milliseconds trim_interval{5000};
  std::chrono::milliseconds anti_entropy_interval{60000};
  conflict::PhysicalClock* clock = nullptr;  // nullptr: the system clock
  // false: Start() starts no threads; the owner drives the replicator with RunOnce() (the
  // deterministic simulation, tests/sim).
  bool threaded = true;
};

struct PeerStatus {
  conflict::RegionId region = 0;
  std::string name;
  bool connected = false;       // heard from within 4 heartbeat periods
  uint64_t head_seq = 0;        // its own committed head, from its heartbeat
  uint64_t applied_seq = 0;     // how much of its log this region has applied
  uint64_t acked_seq = 0;       // how much of this region's log it has applied
  int64_t lag_ms = 0;           // how long this region has been behind it (0 = caught up)
  size_t pending = 0;           // its changes held here waiting for a gap or dependencies
  int64_t last_heartbeat_ms = 0;
};

// One anti-entropy comparison of a table with a peer (anti_entropy.cc).
struct VerifyResult {
  std::string table;
  std::string peer;
  std::string outcome;  // equal | repaired | skipped: ... | unreachable | ...
  int ranges_differing = 0;
  uint64_t items_repaired = 0;  // items that changed here
};

struct ReplicatorCounters {
  uint64_t batches_published = 0;
  uint64_t changes_published = 0;
  uint64_t batches_received = 0;
  uint64_t changes_applied = 0;
  uint64_t apply_runs = 0;         // groups of changes applied together (changes/runs = run length)
  uint64_t changes_merged = 0;
  uint64_t duplicates = 0;
  uint64_t rejected_messages = 0;  // undecodable or invalid peer messages
  uint64_t fetches = 0;
  uint64_t fetch_failures = 0;
  uint64_t dropped_pending = 0;    // changes dropped because the pending buffer was full
  uint64_t snapshot_items_received = 0;  // items merged from peers' table snapshots
  uint64_t snapshot_chunks_served = 0;
  uint64_t backfills_completed = 0;
  uint64_t anti_entropy_comparisons = 0;
  uint64_t anti_entropy_ranges_differing = 0;
  uint64_t anti_entropy_items_repaired = 0;
  uint64_t log_trims = 0;          // trim points advanced (log records deleted below them)
  uint64_t rebootstraps = 0;       // times this region re-copied its tables (fell off the log)
};

class Replicator {
 public:
  // `store` and `transport` must outlive the replicator.
  Replicator(store::Store* store, Transport* transport, ReplicatorOptions options);
  ~Replicator();  // Stop()

  // Subscribes and starts the threads.
  Status Start();
  void Stop();

  // One round of every task on the calling thread, for owners that run the replicator
  // without threads: publish what is committed, a heartbeat when its period has passed on
  // the clock, apply and fetch until nothing is ready, backfills.
  void RunOnce();

  // Wakes the publisher: the store committed up to `seq` (store commit listener).
  void NotifyCommitted(uint64_t seq);

  std::vector<PeerStatus> Peers() const;
  // Anti-entropy now: compares `table` (empty: every table) with every live peer replica and
  // repairs this region from them. `force` compares even while replication is in flight;
  // `adopt` takes the peer's item where both have the same history but different bytes.
  std::vector<VerifyResult> Verify(const std::string& table, bool force, bool adopt);
  // Every region known here (this one first, then peers heard from), by name.
  std::vector<std::string> Regions() const;
  // DynamoDB's ReplicaStatus of `table` in `region`: CREATING until that region has applied
  // the change that added it and finished its backfill, then ACTIVE.
  std::string ReplicaStatus(const store::TableInfo& table, const std::string& region) const;
  ReplicatorCounters counters() const;
  bool transport_connected() const;
  std::string transport_error() const;

 private:
  struct Pending {
    std::string bytes;
    conflict::VersionVector deps;
  };
  struct Peer {
    std::string name;
    uint64_t head_seq = 0;
    conflict::VersionVector applied;
    int64_t last_heartbeat_ms = 0;
    int64_t behind_since_ms = 0;
    std::vector<std::string> backfilling;
  };

  std::string Subject(const char* kind, const std::string& region) const;
  void PublishLoop();
  void HeartbeatLoop();
  void ApplyLoop();
  void CommitLoop();  // writes the runs ApplyReady staged (threaded mode)
  // The loops' bodies (RunOnce calls them directly).
  void PublishStep();
  void HeartbeatStep();
  bool ApplyStep();  // RunOnce: ApplyPending, then fetch; true when it fetched something
  void ApplyPending();  // applies what is ready; runs a re-bootstrap when one is wanted
  void FetchLoop();
  void BackfillStep();
  void OnChangeBatch(const InboundMessage& m);
  void OnHeartbeat(const InboundMessage& m);
  void OnFetch(const InboundMessage& m);
  // Applies every pending change that is next in line with its dependencies met. Returns
  // true when something was applied.
  bool ApplyReady();
  // Fetches missing changes of origins this region has been behind on for longer than the
  // fetch grace (live batches in flight are not fetched twice). True when it got any.
  bool FetchGaps();
  enum class FetchOutcome { kGot, kNothing, kTrimmed };
  FetchOutcome FetchFrom(const std::string& peer, conflict::RegionId origin, uint64_t from_seq,
                         size_t max_changes);
  // rebootstrap.cc: copies every table from peers and raises the applied vector past what
  // the peers' logs no longer hold. True when done.
  bool Rebootstrap();
  // Copies `table` from `peer` (merging); the first chunk must reflect at least `needed`.
  Status CopyTable(const std::string& table, const std::string& peer, const conflict::VersionVector& needed);
  void AddPending(conflict::RegionId origin, uint64_t first_seq, std::vector<std::string> changes);
  int64_t NowMs() const;
  // backfill.cc
  void BackfillLoop();
  bool BackfillTable(const std::string& table, const conflict::VersionVector& needed);
  void OnSnapshotRequest(const InboundMessage& m);
  // anti_entropy.cc
  void AntiEntropyLoop();
  void OnDigestRequest(const InboundMessage& m);
  VerifyResult VerifyWith(const std::string& table, const std::string& peer, bool force, bool adopt);
  // trim.cc: deletes log records that are no longer needed; REQUIRES mu_ NOT held.
  void TrimLog();

  // Constant after construction.
  store::Store* const store_;
  Transport* const transport_;
  const ReplicatorOptions options_;
  conflict::PhysicalClock* const clock_;

  mutable std::mutex mu_;
  std::condition_variable publish_cv_;
  std::condition_variable apply_cv_;
  std::condition_variable heartbeat_cv_;
  std::condition_variable fetch_cv_;
  std::condition_variable commit_cv_;
  bool stop_ = false;                        // GUARDED_BY(mu_)
  uint64_t committed_ = 0;                   // GUARDED_BY(mu_)
  bool apply_wanted_ = false;                // GUARDED_BY(mu_)
  bool heartbeat_now_ = false;               // GUARDED_BY(mu_): a returning peer wants ours
  bool fetch_now_ = false;                   // GUARDED_BY(mu_): a peer heard from anew
  bool publisher_idle_ = false;              // GUARDED_BY(mu_): waiting for a commit
  int staged_runs_ = 0;                      // GUARDED_BY(mu_): applied runs not yet written
  size_t last_run_size_ = 0;                 // applier thread only (or RunOnce)
  std::map<conflict::RegionId, std::map<uint64_t, Pending>> pending_;  // GUARDED_BY(mu_)
  size_t pending_count_ = 0;                 // GUARDED_BY(mu_)
  // GUARDED_BY(mu_): per origin, every change after the applied seq up to this one is
  // queued (or applied); only pending_ removals of unapplied changes reset it.
  std::map<conflict::RegionId, uint64_t> queued_through_;
  std::map<conflict::RegionId, Peer> peers_;  // GUARDED_BY(mu_)
  std::map<conflict::RegionId, int64_t> gap_seen_ms_;  // GUARDED_BY(mu_): first seen missing
  std::map<conflict::RegionId, uint64_t> trimmed_;     // GUARDED_BY(mu_): log trimmed up to
  uint64_t published_ = 0;                             // GUARDED_BY(mu_): own log published up to
  bool rebootstrap_wanted_ = false;                    // GUARDED_BY(mu_)
  int64_t last_heartbeat_sent_ms_ = 0;                 // GUARDED_BY(mu_): RunOnce only
  int64_t last_trim_ms_ = 0;                           // GUARDED_BY(mu_)
  ReplicatorCounters counters_;              // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
  bool started_ = false;
};

}  // namespace meridian::replication
