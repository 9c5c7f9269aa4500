// Active-active replication of one region (docs/design.md section 4):
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
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "common/status.h"
#include "conflict/hlc.h"
#include "conflict/version_vector.h"
#include "replication/transport.h"

namespace meridian::store {
class Store;
struct TableInfo;
}  // namespace meridian::store

namespace meridian::replication {

struct ReplicatorOptions {
  std::string cluster = "meridian";
  std::string region_name;
  conflict::RegionId region_id = 0;
  std::string server_id;
  std::string admin_url;  // advertised in heartbeats ("": none)
  std::chrono::milliseconds heartbeat{250};
  size_t batch_max_changes = 1024;
  size_t batch_max_bytes = 1 << 20;
  std::chrono::microseconds linger{5000};
  std::chrono::milliseconds fetch_timeout{1000};
  std::chrono::milliseconds fetch_grace{30};  // a gap must persist this long to be fetched
  size_t fetch_max_changes = 16384;
  size_t fetch_max_bytes = 4 << 20;        // under NATS max_payload (8 MB in deploy/nats)
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
  // Test only (the simulator's mutation check): false hands a transaction's changes to the
  // store as they come instead of waiting for the whole unit.
  bool atomic_transactions = true;
};

struct PeerStatus {
  conflict::RegionId region = 0;
  std::string name;
  bool connected = false;    // heard from within 4 heartbeat periods
  uint64_t head_seq = 0;     // its own committed head, from its heartbeat
  uint64_t applied_seq = 0;  // how much of its log this region has applied
  uint64_t acked_seq = 0;    // how much of this region's log it has applied
  int64_t lag_ms = 0;        // how long this region has been behind it (0 = caught up)
  size_t pending = 0;        // its changes held here waiting for a gap or dependencies
  int64_t last_heartbeat_ms = 0;
  std::string admin_url;  // its status API, from its heartbeat ("": not advertised)
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
  uint64_t apply_runs = 0;  // groups of changes applied together (changes/runs = run length)
  uint64_t changes_merged = 0;
  uint64_t duplicates = 0;
  uint64_t rejected_messages = 0;  // undecodable or invalid peer messages
  uint64_t impersonations = 0;     // signed by one region, claiming to come from another
  uint64_t fetches = 0;
  uint64_t fetch_failures = 0;
  uint64_t dropped_pending = 0;          // changes dropped because the pending buffer was full
  uint64_t snapshot_items_received = 0;  // items merged from peers' table snapshots
  uint64_t snapshot_chunks_served = 0;
  uint64_t backfills_completed = 0;
  uint64_t anti_entropy_comparisons = 0;
  uint64_t anti_entropy_ranges_differing = 0;
  uint64_t anti_entropy_items_repaired = 0;
  uint64_t log_trims = 0;         // trim points advanced (log records deleted below them)
  uint64_t rebootstraps = 0;      // times this region re-copied its tables (fell off the log)
  uint64_t publish_failures = 0;  // heartbeats and replies that could not be sent
  uint64_t store_errors = 0;      // store calls of the replicator that failed (logged)
};

class Replicator {
 public:
  // `store` and `transport` must outlive the replicator.
  Replicator(store::Store* store, Transport* transport, ReplicatorOptions options);
  ~Replicator();  // Stop()

  // Subscribes and starts the threads.
  Status Start() EXCLUDES(mu_);
  void Stop() EXCLUDES(mu_);

  // One round of every task on the calling thread, for owners that run the replicator
  // without threads: publish what is committed, a heartbeat when its period has passed on
  // the clock, apply and fetch until nothing is ready, backfills.
  void RunOnce() EXCLUDES(mu_);

  // Wakes the publisher: the store committed up to `seq` (store commit listener).
  void NotifyCommitted(uint64_t seq) EXCLUDES(mu_);

  std::vector<PeerStatus> Peers() const EXCLUDES(mu_);
  // Anti-entropy now: compares `table` (empty: every table) with every live peer replica and
  // repairs this region from them. `force` compares even while replication is in flight;
  // `adopt` takes the peer's item where both have the same history but different bytes.
  std::vector<VerifyResult> Verify(const std::string& table, bool force, bool adopt) EXCLUDES(mu_);
  // Every region known here (this one first, then peers heard from), by name.
  std::vector<std::string> Regions() const EXCLUDES(mu_);
  // DynamoDB's ReplicaStatus of `table` in `region`: CREATING until that region has applied
  // the change that added it and finished its backfill, then ACTIVE.
  std::string ReplicaStatus(const store::TableInfo& table, const std::string& region) const
      EXCLUDES(mu_);
  ReplicatorCounters counters() const EXCLUDES(mu_);
  bool transport_connected() const;
  std::string transport_error() const;

 private:
  struct Pending {
    std::string bytes;
    conflict::VersionVector deps;
    uint64_t txn_last = 0;  // part of a transaction: the seq of its last change (else 0)
  };
  struct Peer {
    std::string name;
    uint64_t head_seq = 0;
    conflict::VersionVector applied;
    int64_t last_heartbeat_ms = 0;
    int64_t behind_since_ms = 0;
    std::vector<std::string> backfilling;
    std::string admin_url;
  };

  std::string Subject(const char* kind, const std::string& region) const;
  void PublishLoop() EXCLUDES(mu_);
  void HeartbeatLoop() EXCLUDES(mu_);
  void ApplyLoop() EXCLUDES(mu_);
  void CommitLoop() EXCLUDES(mu_);  // writes the runs ApplyReady staged (threaded mode)
  // The loops' bodies (RunOnce calls them directly).
  void PublishStep() EXCLUDES(mu_);
  void HeartbeatStep() EXCLUDES(mu_);
  bool ApplyStep()
      EXCLUDES(mu_);  // RunOnce: ApplyPending, then fetch; true when it fetched something
  void ApplyPending()
      EXCLUDES(mu_);  // applies what is ready; runs a re-bootstrap when one is wanted
  void FetchLoop() EXCLUDES(mu_);
  void BackfillStep() EXCLUDES(mu_);
  void OnChangeBatch(const InboundMessage& m) EXCLUDES(mu_);
  // True (counted) when `m` was signed by another region than the one it claims to be from.
  bool Impersonates(const InboundMessage& m, conflict::RegionId claimed) EXCLUDES(mu_);
  void OnHeartbeat(const InboundMessage& m) EXCLUDES(mu_);
  void OnFetch(const InboundMessage& m) EXCLUDES(mu_);
  // Applies every pending change that is next in line with its dependencies met. Returns
  // true when something was applied.
  bool ApplyReady() EXCLUDES(mu_);
  // Fetches missing changes of origins this region has been behind on for longer than the
  // fetch grace (live batches in flight are not fetched twice). True when it got any.
  bool FetchGaps() EXCLUDES(mu_);
  // A gap to fetch: changes of `origin` from `from`, and the peers that have them.
  struct FetchNeed {
    conflict::RegionId origin;
    uint64_t from;
    size_t max_changes;
    std::vector<std::string> sources;  // peers to ask, the origin first
  };
  // FetchGaps' first step: which gaps, given what is applied here (`applied`), are due.
  std::vector<FetchNeed> GapsToFetch(const conflict::VersionVector& applied) REQUIRES(mu_);
  enum class FetchOutcome { kGot, kNothing, kTrimmed };
  FetchOutcome FetchFrom(const std::string& peer, conflict::RegionId origin, uint64_t from_seq,
                         size_t max_changes) EXCLUDES(mu_);
  // rebootstrap.cc: copies every table from peers and raises the applied vector past what
  // the peers' logs no longer hold. True when done.
  bool Rebootstrap() EXCLUDES(mu_);
  // Copies `table` from `peer` (merging); the first chunk must reflect at least `needed`.
  // `reflected` joins the vectors of the chunks copied.
  // `copy_kind` names the work on the store's progress board.
  Status CopyTable(const std::string& table, const std::string& peer,
                   const conflict::VersionVector& needed, conflict::VersionVector* reflected,
                   const char* copy_kind = "replica backfill") EXCLUDES(mu_);
  void AddPending(conflict::RegionId origin, uint64_t first_seq, std::vector<std::string> changes)
      EXCLUDES(mu_);
  int64_t NowMs() const;
  // Counts a failed call in `counter` and logs it (the 1st, 2nd, 4th, 8th ... time, so a
  // failure that persists, such as NATS being down, does not flood the log).
  void NoteFailure(uint64_t ReplicatorCounters::*counter, const char* what, const Status& status)
      EXCLUDES(mu_);
  // backfill.cc
  void BackfillLoop() EXCLUDES(mu_);
  bool BackfillTable(const std::string& table, const conflict::VersionVector& needed) EXCLUDES(mu_);
  void OnSnapshotRequest(const InboundMessage& m) EXCLUDES(mu_);
  // anti_entropy.cc
  void AntiEntropyLoop() EXCLUDES(mu_);
  void OnDigestRequest(const InboundMessage& m) EXCLUDES(mu_);
  VerifyResult VerifyWith(const std::string& table, const std::string& peer, bool force, bool adopt)
      EXCLUDES(mu_);
  // trim.cc: deletes log records that are no longer needed; takes mu_.
  void TrimLog() EXCLUDES(mu_);

  // Constant after construction.
  store::Store* const store_;
  Transport* const transport_;
  const ReplicatorOptions options_;
  conflict::PhysicalClock* const clock_;

  mutable Mutex mu_;
  CondVar publish_cv_;
  CondVar apply_cv_;
  CondVar heartbeat_cv_;  // also the sleep of the backfill and anti-entropy loops
  CondVar fetch_cv_;
  CondVar commit_cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  uint64_t committed_ GUARDED_BY(mu_) = 0;
  bool apply_wanted_ GUARDED_BY(mu_) = false;
  bool heartbeat_now_ GUARDED_BY(mu_) = false;   // a returning peer wants ours
  bool fetch_now_ GUARDED_BY(mu_) = false;       // a peer heard from anew
  bool publisher_idle_ GUARDED_BY(mu_) = false;  // waiting for a commit
  int staged_runs_ GUARDED_BY(mu_) = 0;          // applied runs not yet written
  size_t last_run_size_ = 0;                     // applier thread only (or RunOnce)
  std::map<conflict::RegionId, std::map<uint64_t, Pending>> pending_ GUARDED_BY(mu_);
  size_t pending_count_ GUARDED_BY(mu_) = 0;
  // Per origin, every change after the applied seq up to this one is queued (or applied);
  // only pending_ removals of unapplied changes reset it.
  std::map<conflict::RegionId, uint64_t> queued_through_ GUARDED_BY(mu_);
  std::map<conflict::RegionId, Peer> peers_ GUARDED_BY(mu_);
  std::map<conflict::RegionId, int64_t> gap_seen_ms_ GUARDED_BY(mu_);  // first seen missing
  std::map<conflict::RegionId, uint64_t> trimmed_ GUARDED_BY(mu_);     // log trimmed up to
  uint64_t published_ GUARDED_BY(mu_) = 0;                             // own log published up to
  bool rebootstrap_wanted_ GUARDED_BY(mu_) = false;
  int64_t last_heartbeat_sent_ms_ GUARDED_BY(mu_) = 0;  // RunOnce only
  int64_t last_trim_ms_ GUARDED_BY(mu_) = 0;
  ReplicatorCounters counters_ GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
  bool started_ = false;
};

}  // namespace meridian::replication
