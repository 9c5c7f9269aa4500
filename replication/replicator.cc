#include "replication/replicator.h"

#include <spdlog/spdlog.h>

#include "common/check.h"

#include <atomic>

#include "common/thread_name.h"
#include "replication/wire.h"
#include "store/change_log.h"
#include "store/store.h"

namespace meridian::replication {

int64_t Replicator::NowMs() const { return static_cast<int64_t>(clock_->NowMillis()); }

void Replicator::NoteFailure(uint64_t ReplicatorCounters::*counter, const char* what,
                             const Status& status) {
  if (status.ok()) return;
  uint64_t n;
  {
    MutexLock lock(&mu_);
    n = ++(counters_.*counter);
  }
  if ((n & (n - 1)) == 0) {
    spdlog::warn("msg=\"{} failed\" error=\"{}\" times={}", what, status.message(), n);
  }
}

Replicator::Replicator(store::Store* store, Transport* transport, ReplicatorOptions options)
    : store_(store),
      transport_(transport),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : conflict::SystemClock()) {}

Replicator::~Replicator() { Stop(); }

std::string Replicator::Subject(const char* kind, const std::string& region) const {
  return "meridian." + options_.cluster + "." + kind + "." + region;
}

Status Replicator::Start() {
  const uint64_t committed = store_->committed_seq();
  {
    MutexLock lock(&mu_);
    committed_ = committed;
  }
  MERIDIAN_RETURN_IF_ERROR(transport_->Subscribe(
      Subject("changes", "*"), [this](const InboundMessage& m) { OnChangeBatch(m); }));
  MERIDIAN_RETURN_IF_ERROR(transport_->Subscribe(
      Subject("heartbeat", "*"), [this](const InboundMessage& m) { OnHeartbeat(m); }));
  MERIDIAN_RETURN_IF_ERROR(transport_->Subscribe(Subject("fetch", options_.region_name),
                                                 [this](const InboundMessage& m) { OnFetch(m); }));
  MERIDIAN_RETURN_IF_ERROR(
      transport_->Subscribe(Subject("snapshot", options_.region_name),
                            [this](const InboundMessage& m) { OnSnapshotRequest(m); }));
  MERIDIAN_RETURN_IF_ERROR(
      transport_->Subscribe(Subject("digest", options_.region_name),
                            [this](const InboundMessage& m) { OnDigestRequest(m); }));
  {
    MutexLock lock(&mu_);
    published_ = committed_;  // peers fetch older changes on their own
  }
  started_ = true;
  if (!options_.threaded) return Status::Ok();
  auto start = [this](const char* name, void (Replicator::*loop)()) {
    threads_.emplace_back([this, name, loop] {
      SetThreadName(name);
      (this->*loop)();
    });
  };
  start("repl-publish", &Replicator::PublishLoop);
  start("repl-heartbeat", &Replicator::HeartbeatLoop);
  start("repl-apply", &Replicator::ApplyLoop);
  start("repl-commit", &Replicator::CommitLoop);
  start("repl-fetch", &Replicator::FetchLoop);
  start("repl-backfill", &Replicator::BackfillLoop);
  if (options_.anti_entropy_interval.count() > 0)
    start("repl-antientropy", &Replicator::AntiEntropyLoop);
  return Status::Ok();
}

void Replicator::Stop() {
  {
    MutexLock lock(&mu_);
    if (stop_) return;
    stop_ = true;
  }
  publish_cv_.SignalAll();
  apply_cv_.SignalAll();
  commit_cv_.SignalAll();
  fetch_cv_.SignalAll();
  heartbeat_cv_.SignalAll();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Replicator::NotifyCommitted(uint64_t seq) {
  {
    MutexLock lock(&mu_);
    if (seq <= committed_) return;
    committed_ = seq;
    // Wakes the publisher only when it waits for a first commit or its batch is full, not
    // on every commit group while it lingers.
    if (!publisher_idle_ && committed_ - published_ < options_.batch_max_changes) return;
  }
  publish_cv_.Signal();
}

// ---- publisher -------------------------------------------------------------------------

void Replicator::PublishLoop() {
  MutexLock lock(&mu_);
  while (!stop_) {
    publisher_idle_ = true;
    while (!stop_ && committed_ <= published_) publish_cv_.Wait(mu_);
    publisher_idle_ = false;
    if (stop_) break;
    // A short linger lets a few more commit groups join a small batch.
    if (options_.linger.count() > 0) {
      const auto deadline = DeadlineAfter(options_.linger);
      while (!stop_ && committed_ - published_ < options_.batch_max_changes &&
             publish_cv_.WaitUntil(mu_, deadline)) {
      }
    }
    lock.Unlock();
    PublishStep();
    lock.Lock();
  }
}

void Replicator::PublishStep() {
  uint64_t published, upto;
  {
    MutexLock lock(&mu_);
    published = published_;
    upto = committed_;
  }
  while (published < upto) {
    ChangeBatchMessage batch;
    batch.origin = options_.region_id;
    batch.sender = options_.region_id;
    batch.first_seq = published + 1;
    Status s = store_->ReadLog(options_.region_id, batch.first_seq, options_.batch_max_changes,
                               options_.batch_max_bytes, &batch.changes);
    if (!s.ok() || batch.changes.empty()) {
      spdlog::warn("msg=\"publisher cannot read the log\" from={} error=\"{}\"", batch.first_seq,
                   s.message());
      break;
    }
    // Published or not, move on: a peer that misses it fetches the gap.
    published += batch.changes.size();
    const size_t n = batch.changes.size();
    Status sent =
        transport_->Publish(Subject("changes", options_.region_name), EncodeChangeBatch(batch));
    MutexLock count(&mu_);
    published_ = published;
    if (sent.ok()) {
      ++counters_.batches_published;
      counters_.changes_published += n;
    }
  }
}

// ---- heartbeats ------------------------------------------------------------------------

void Replicator::HeartbeatLoop() {
  MutexLock lock(&mu_);
  while (!stop_) {
    heartbeat_now_ = false;
    lock.Unlock();
    HeartbeatStep();
    lock.Lock();
    const auto deadline = DeadlineAfter(options_.heartbeat);
    while (!stop_ && !heartbeat_now_ && heartbeat_cv_.WaitUntil(mu_, deadline)) {
    }
  }
}

void Replicator::HeartbeatStep() {
  HeartbeatMessage hb;
  hb.region = options_.region_id;
  hb.region_name = options_.region_name;
  hb.head_seq = store_->committed_seq();
  hb.applied = store_->DurableAppliedVector();  // peers trim their logs by it
  hb.now_millis = static_cast<uint64_t>(NowMs());
  hb.server_id = options_.server_id;
  hb.admin_url = options_.admin_url;
  for (const auto& [table, needed] : store_->PendingBackfills()) hb.backfilling.push_back(table);
  NoteFailure(&ReplicatorCounters::publish_failures, "heartbeat publish",
              transport_->Publish(Subject("heartbeat", options_.region_name), EncodeHeartbeat(hb)));
  TrimLog();
}

bool Replicator::Impersonates(const InboundMessage& m, conflict::RegionId claimed) {
  if (m.peer == 0 || m.peer == claimed) return false;
  MutexLock lock(&mu_);
  ++counters_.impersonations;
  spdlog::warn(
      "msg=\"rejected a message signed by one region that claims another\" "
      "subject={} signer={} claimed={}",
      m.subject, m.peer, claimed);
  return true;
}

void Replicator::OnHeartbeat(const InboundMessage& m) {
  auto hb = DecodeHeartbeat(m.payload);
  if (hb.ok() && Impersonates(m, hb->region)) return;
  if (hb.ok() && hb->region != options_.region_id) {
    bool known;
    {
      MutexLock lock(&mu_);
      known = peers_.count(hb->region) > 0;
    }
    // Remembered for log trimming before it counts (a failure leaves it unknown, so the
    // next heartbeat tries again). Not under mu_: a commit calls back into NotifyCommitted.
    if (!known) {
      Status added = store_->AddKnownRegion(hb->region);
      if (!added.ok()) {
        NoteFailure(&ReplicatorCounters::store_errors, "remembering a region", added);
        return;
      }
    }
  }
  MutexLock lock(&mu_);
  if (!hb.ok()) {
    ++counters_.rejected_messages;
    return;
  }
  if (hb->region == options_.region_id) return;
  Peer& peer = peers_[hb->region];
  // A region heard from for the first time or after a silence (restarted, partition healed)
  // gets this region's heartbeat at once rather than up to a period later: it learns the
  // heads it must fetch.
  const int64_t now = NowMs();
  if (peer.last_heartbeat_ms == 0 ||
      now - peer.last_heartbeat_ms > 3 * options_.heartbeat.count()) {
    heartbeat_now_ = true;
    heartbeat_cv_.Signal();
    fetch_now_ = true;  // and this region may learn that it is far behind: fetch now
    fetch_cv_.Signal();
  }
  peer.name = hb->region_name;
  peer.head_seq = std::max(peer.head_seq, hb->head_seq);
  peer.applied = hb->applied;
  peer.last_heartbeat_ms = now;
  peer.backfilling = std::move(hb->backfilling);
  peer.admin_url = std::move(hb->admin_url);
  apply_wanted_ = true;
  apply_cv_.Signal();
}

// ---- receiving and applying ------------------------------------------------------------

void Replicator::OnChangeBatch(const InboundMessage& m) {
  auto batch = DecodeChangeBatch(m.payload);
  if (!batch.ok()) {
    MutexLock lock(&mu_);
    ++counters_.rejected_messages;
    spdlog::warn("msg=\"rejected change batch\" subject={} error=\"{}\"", m.subject,
                 batch.status().message());
    return;
  }
  if (batch->origin == options_.region_id) return;
  if (Impersonates(m, batch->origin)) return;  // a region publishes only its own changes
  AddPending(batch->origin, batch->first_seq, std::move(batch->changes));
}

void Replicator::AddPending(conflict::RegionId origin, uint64_t first_seq,
                            std::vector<std::string> changes) {
  // Validated (and the dependencies extracted) before taking the lock the applier needs.
  std::vector<conflict::VersionVector> deps;
  std::vector<uint64_t> txn_last;
  deps.reserve(changes.size());
  txn_last.reserve(changes.size());
  bool rejected = false;
  for (size_t i = 0; i < changes.size(); ++i) {
    auto change = store::DecodeChange(changes[i]);
    if (!change.ok() || change->origin != origin || change->seq != first_seq + i) {
      rejected = true;  // the rest of this batch is suspect; gaps are fetched
      break;
    }
    deps.push_back(std::move(change->deps));
    txn_last.push_back(change->in_transaction() ? change->txn_last() : 0);
  }
  MutexLock lock(&mu_);
  ++counters_.batches_received;
  if (rejected) ++counters_.rejected_messages;
  auto& queue = pending_[origin];
  for (size_t i = 0; i < deps.size(); ++i) {
    if (pending_count_ >= options_.max_pending_changes) {
      ++counters_.dropped_pending;
      continue;
    }
    if (queue
            .emplace(first_seq + i, Pending{std::move(changes[i]), std::move(deps[i]), txn_last[i]})
            .second)
      ++pending_count_;
  }
  apply_wanted_ = true;
  apply_cv_.Signal();
}

void Replicator::ApplyLoop() {
  while (true) {
    {
      MutexLock lock(&mu_);
      // While catching up (the last fetch returned changes), go straight on.
      const auto deadline = DeadlineAfter(
          std::min<std::chrono::milliseconds>(options_.heartbeat, options_.fetch_grace));
      while (!stop_ && !apply_wanted_ && apply_cv_.WaitUntil(mu_, deadline)) {
      }
      if (stop_) return;
      apply_wanted_ = false;
    }
    ApplyPending();  // fetching runs on its own thread (FetchLoop), ahead of applying
  }
}

void Replicator::CommitLoop() {
  MutexLock lock(&mu_);
  while (true) {
    while (!stop_ && staged_runs_ == 0) commit_cv_.Wait(mu_);
    if (staged_runs_ == 0) return;  // stopping, nothing left to write
    const int runs = staged_runs_;
    lock.Unlock();
    store_->CommitPending();  // not under mu_: the commit listener takes it
    lock.Lock();
    staged_runs_ -= runs;
    commit_cv_.SignalAll();
  }
}

void Replicator::ApplyPending() {
  while (ApplyReady()) {
  }
  bool rebootstrap;
  {
    MutexLock lock(&mu_);
    rebootstrap = std::exchange(rebootstrap_wanted_, false);
  }
  if (rebootstrap) Rebootstrap();
}

bool Replicator::ApplyStep() {
  ApplyPending();
  if (!FetchGaps()) return false;
  while (ApplyReady()) {
  }
  return true;
}

void Replicator::FetchLoop() {
  MutexLock lock(&mu_);
  while (!stop_) {
    lock.Unlock();
    const bool fetched = FetchGaps();  // while catching up, fetch again at once
    lock.Lock();
    if (!fetched) {
      const auto deadline = DeadlineAfter(
          std::min<std::chrono::milliseconds>(options_.heartbeat, options_.fetch_grace));
      while (!stop_ && !fetch_now_ && fetch_cv_.WaitUntil(mu_, deadline)) {
      }
    }
    fetch_now_ = false;
  }
}

void Replicator::RunOnce() {
  PublishStep();
  const int64_t now = NowMs();
  bool heartbeat;
  {
    MutexLock lock(&mu_);
    heartbeat = heartbeat_now_ || now - last_heartbeat_sent_ms_ >= options_.heartbeat.count();
    if (heartbeat) last_heartbeat_sent_ms_ = now;
    heartbeat_now_ = false;
  }
  if (heartbeat) HeartbeatStep();
  for (int i = 0; i < 64 && ApplyStep(); ++i) {
  }
  if (!store_->PendingBackfills().empty()) BackfillStep();
}

// Runs up to this many changes are written by the applier itself (see ApplyReady).
constexpr size_t kCommitInlineRun = 256;

bool Replicator::ApplyReady() {
  // What is applied, plus (as the run grows) what the run will apply before each change.
  conflict::VersionVector applied = store_->AppliedVector();
  std::vector<std::string> run;
  std::map<conflict::RegionId, uint64_t> run_last;  // per origin, the last seq in the run
  {
    MutexLock lock(&mu_);
    for (auto& [origin, queue] : pending_) {
      // Drop what is already applied.
      const uint64_t have = applied.Get(origin);
      while (!queue.empty() && queue.begin()->first <= have) {
        queue.erase(queue.begin());
        MERIDIAN_CHECK(pending_count_ > 0);  // every queued change was counted
        --pending_count_;
        ++counters_.duplicates;
      }
    }
    // One run interleaves the origins in causal order: a change goes in once its
    // dependencies are applied or earlier in the run. Regions writing concurrently depend
    // on each other every few changes, so a run of one origin at a time would be tiny.
    // Runs grow from 1024 changes (doubling) to 16384 when catching up, so the committer
    // starts on the first one early instead of waiting for a full-size run to be staged.
    const size_t max_run = std::clamp<size_t>(2 * last_run_size_, 1024, 16384);
    bool progress = true;
    while (progress && run.size() < max_run) {
      progress = false;
      for (auto& [origin, queue] : pending_) {
        uint64_t next = applied.Get(origin) + 1;
        for (auto it = queue.find(next);
             it != queue.end() && it->first == next && run.size() < max_run;) {
          bool ready = true;
          for (const auto& dep : it->second.deps.entries()) {
            if (dep.region != origin && applied.Get(dep.region) < dep.seq) ready = false;
          }
          // A transaction goes into the run whole (its changes share their dependencies),
          // once every change of it is here: the store applies it as one unit.
          uint64_t last = next;
          if (options_.atomic_transactions && it->second.txn_last > next) {
            last = it->second.txn_last;
            auto end = it;
            for (uint64_t s = next; s <= last && ready; ++s) {
              if (end == queue.end() || end->first != s) {
                ready = false;
              } else {
                ++end;
              }
            }
          }
          if (!ready) break;
          for (; next <= last; ++it, ++next) {
            run.push_back(std::move(it->second.bytes));  // entries go once the run is applied
          }
          applied.Add({origin, last});
          run_last[origin] = last;
          progress = true;
        }
      }
    }
  }
  last_run_size_ = run.size();  // the applier's own (ApplyReady is never concurrent)
  if (run.empty()) return false;
  // Threaded: this run is staged while the committer writes the previous one (one run in
  // flight at most); the applied vector goes with each group, so a crash loses whole runs
  // that are then fetched again. A small run with nothing in flight (live traffic, not
  // catching up) is written here: a handoff would cost a thread wakeup per received batch.
  bool handoff = false;
  if (options_.threaded) {
    MutexLock lock(&mu_);
    while (!stop_ && staged_runs_ >= 2) commit_cv_.Wait(mu_);
    if (stop_) return false;
    handoff = staged_runs_ > 0 || run.size() > kCommitInlineRun;
  }
  auto stats = store_->ApplyRemoteChanges(std::move(run), /*commit=*/!handoff);
  MutexLock lock(&mu_);
  if (handoff) {
    ++staged_runs_;
    commit_cv_.SignalAll();
  }
  // Applied, or failed and dropped (it will be fetched again): the run leaves the queue.
  for (const auto& [origin, last] : run_last) {
    auto& queue = pending_[origin];
    while (!queue.empty() && queue.begin()->first <= last) {
      queue.erase(queue.begin());
      MERIDIAN_CHECK(pending_count_ > 0);  // every queued change was counted
      --pending_count_;
    }
    if (!stats.ok()) queued_through_.erase(origin);  // dropped unapplied: a hole again
  }
  if (!stats.ok()) {
    spdlog::error("msg=\"applying remote changes failed\" error=\"{}\"", stats.status().message());
    ++counters_.rejected_messages;
    return false;
  }
  ++counters_.apply_runs;
  counters_.changes_applied += stats->applied;
  counters_.changes_merged += stats->merged;
  counters_.duplicates += stats->skipped;
  return true;
}

std::vector<Replicator::FetchNeed> Replicator::GapsToFetch(const conflict::VersionVector& applied) {
  std::vector<FetchNeed> needs;
  const int64_t now = NowMs();
  // What is known to exist: heads from heartbeats, other peers' applied vectors, pending.
  std::map<conflict::RegionId, uint64_t> known;
  for (const auto& [id, peer] : peers_) {
    known[id] = std::max(known[id], peer.head_seq);
    for (const auto& e : peer.applied.entries()) {
      if (e.region != options_.region_id) known[e.region] = std::max(known[e.region], e.seq);
    }
  }
  for (const auto& [origin, queue] : pending_) {
    if (!queue.empty()) known[origin] = std::max(known[origin], queue.rbegin()->first);
  }
  for (const auto& [origin, head] : known) {
    const uint64_t have = applied.Get(origin);
    auto peer = peers_.find(origin);
    if (peer != peers_.end()) {
      if (head > have && peer->second.behind_since_ms == 0) peer->second.behind_since_ms = now;
      if (head <= have) peer->second.behind_since_ms = 0;
    }
    // The first change neither applied nor queued: past the queued run that follows `have`
    // (so fetching runs ahead of applying while catching up, at most two fetches ahead).
    // queued_through_ remembers how far the walk got last time, so each queued change is
    // walked over once, not on every pass (the queue holds tens of thousands while
    // catching up).
    uint64_t& through = queued_through_[origin];
    uint64_t next = std::max(have, through) + 1;
    if (auto queue = pending_.find(origin); queue != pending_.end()) {
      for (auto it = queue->second.lower_bound(next);
           it != queue->second.end() && it->first == next; ++it) {
        ++next;
      }
    }
    through = next - 1;
    if (head < next) {
      gap_seen_ms_.erase(origin);  // caught up, or everything up to the head is here
      continue;
    }
    if (next > have + 1 && next - have > 2 * options_.fetch_max_changes) continue;  // enough queued
    auto seen = gap_seen_ms_.emplace(origin, now).first;
    // A gap may be batches still in flight, unless it is far larger than those (a region
    // returning, a partition healing): then it is fetched at once.
    const bool in_flight_possible = head - have <= 4 * options_.batch_max_changes;
    if (in_flight_possible && now - seen->second < options_.fetch_grace.count()) continue;
    // Nothing queued yet (a region returning): a small first fetch lets applying start
    // while the full-size fetches that follow are in flight.
    const size_t max_changes = next == have + 1 ? std::min<size_t>(options_.fetch_max_changes, 1024)
                                                : options_.fetch_max_changes;
    FetchNeed need{origin, next, max_changes, {}};
    if (peer != peers_.end() && !peer->second.name.empty())
      need.sources.push_back(peer->second.name);
    for (const auto& [id, p] : peers_) {
      if (id != origin && p.applied.Get(origin) >= next && !p.name.empty())
        need.sources.push_back(p.name);
    }
    needs.push_back(std::move(need));
  }
  return needs;
}

bool Replicator::FetchGaps() {
  const conflict::VersionVector applied = store_->AppliedVector();
  std::vector<FetchNeed> needs;
  {
    MutexLock lock(&mu_);
    needs = GapsToFetch(applied);
  }
  std::atomic<bool> fetched = false;
  auto fetch = [&](const FetchNeed& need) {
    size_t trimmed = 0;
    for (const auto& source : need.sources) {
      const FetchOutcome got = FetchFrom(source, need.origin, need.from, need.max_changes);
      if (got == FetchOutcome::kGot) {
        fetched = true;
        return;
      }
      if (got == FetchOutcome::kTrimmed) ++trimmed;
    }
    // Every region that has the changes already dropped them from its log: only a copy of
    // the tables can bring this region forward.
    if (!need.sources.empty() && trimmed == need.sources.size() &&
        store_->AppliedVector().Get(need.origin) < need.from) {
      MutexLock lock(&mu_);
      rebootstrap_wanted_ = true;
      apply_wanted_ = true;
      apply_cv_.Signal();
    }
  };
  // Threaded, the origins are fetched in parallel: the changes of concurrently writing
  // regions depend on each other, so applying needs all of them at once. The simulation
  // (unthreaded) keeps one deterministic order.
  if (options_.threaded && needs.size() > 1) {
    std::vector<std::thread> others;
    for (size_t i = 1; i < needs.size(); ++i) others.emplace_back(fetch, std::cref(needs[i]));
    fetch(needs[0]);
    for (auto& t : others) t.join();
  } else {
    for (const auto& need : needs) fetch(need);
  }
  return fetched;
}

Replicator::FetchOutcome Replicator::FetchFrom(const std::string& peer, conflict::RegionId origin,
                                               uint64_t from_seq, size_t max_changes) {
  FetchRequestMessage req{origin, from_seq, static_cast<uint32_t>(max_changes),
                          static_cast<uint32_t>(options_.fetch_max_bytes), options_.region_id};
  auto reply =
      transport_->Request(Subject("fetch", peer), EncodeFetchRequest(req), options_.fetch_timeout);
  {
    MutexLock lock(&mu_);
    ++counters_.fetches;
    if (!reply.ok()) ++counters_.fetch_failures;
  }
  if (!reply.ok()) return FetchOutcome::kNothing;
  auto batch = DecodeChangeBatch(*reply);
  if (!batch.ok() || batch->origin != origin || batch->first_seq != from_seq) {
    MutexLock lock(&mu_);
    ++counters_.rejected_messages;
    return FetchOutcome::kNothing;
  }
  if (batch->changes.empty()) {
    return batch->first_available > from_seq ? FetchOutcome::kTrimmed : FetchOutcome::kNothing;
  }
  AddPending(origin, from_seq, std::move(batch->changes));
  return FetchOutcome::kGot;
}

void Replicator::OnFetch(const InboundMessage& m) {
  if (m.reply_to.empty()) return;
  auto req = DecodeFetchRequest(m.payload);
  if (!req.ok()) {
    MutexLock lock(&mu_);
    ++counters_.rejected_messages;
    return;
  }
  if (Impersonates(m, req->requester)) return;
  ChangeBatchMessage batch;
  batch.origin = req->origin;
  batch.sender = options_.region_id;
  batch.first_seq = req->from_seq;
  const size_t max_changes = std::clamp<size_t>(req->max_changes, 1, 16384);
  const size_t max_bytes = std::clamp<size_t>(req->max_bytes, 1024, 4 << 20);  // < NATS max_payload
  if (!store_->ReadLog(req->origin, req->from_seq, max_changes, max_bytes, &batch.changes).ok()) {
    batch.changes.clear();
  }
  if (batch.changes.empty()) batch.first_available = store_->FirstLogSeq(req->origin);
  NoteFailure(&ReplicatorCounters::publish_failures, "fetch reply",
              transport_->Publish(m.reply_to, EncodeChangeBatch(batch)));
}

// ---- status ----------------------------------------------------------------------------

std::vector<PeerStatus> Replicator::Peers() const {
  conflict::VersionVector applied = store_->DurableAppliedVector();
  MutexLock lock(&mu_);
  const int64_t now = NowMs();
  std::vector<PeerStatus> out;
  for (const auto& [id, peer] : peers_) {
    PeerStatus s;
    s.region = id;
    s.name = peer.name;
    s.connected = now - peer.last_heartbeat_ms <= 4 * options_.heartbeat.count();
    s.head_seq = peer.head_seq;
    s.applied_seq = applied.Get(id);
    s.acked_seq = peer.applied.Get(options_.region_id);
    s.lag_ms = s.applied_seq < s.head_seq && peer.behind_since_ms ? now - peer.behind_since_ms : 0;
    auto queue = pending_.find(id);
    s.pending = queue == pending_.end() ? 0 : queue->second.size();
    s.last_heartbeat_ms = peer.last_heartbeat_ms;
    s.admin_url = peer.admin_url;
    out.push_back(std::move(s));
  }
  return out;
}

ReplicatorCounters Replicator::counters() const {
  MutexLock lock(&mu_);
  return counters_;
}

bool Replicator::transport_connected() const { return transport_->connected(); }
std::string Replicator::transport_error() const { return transport_->last_error(); }

}  // namespace meridian::replication
