// Deterministic simulation of 3-5 Meridian regions in one process (issue 5): the real store,
// replicator and conflict code on a virtual clock, over SimNetwork (seeded delays, drops,
// duplicates, reordering, partitions and heals), with crashes and restarts of regions from
// what they durably wrote. The workload carries its invariants in the data:
//  - merge-table counters must equal the sum of acknowledged increments;
//  - add-wins sets: every acknowledged element present unless an acknowledged DELETE of it
//    (issued where the element was visible) came later;
//  - LWW registers hold one of the values written to them;
//  - a causal chain: x<i> written at A, read at B, then y<i> written at B: no region may
//    ever show y<i> without x<i>.
// After heal and quiescence all regions must hold identical tables (digests).
#pragma once

#include <cstdint>
#include <string>

namespace meridian::sim {

struct SimOptions {
  uint64_t seed = 1;
  int steps = 150;  // workload steps (each: a client op or a fault, then time passes)
  bool faults = true;
  std::string dir;  // scratch directory for the regions' RocksDB (removed at the end)
  // false: the mutation check of the transaction workload: remote transactions are applied
  // change by change (StoreOptions/ReplicatorOptions::atomic_transactions), which the
  // workload's invariant must catch.
  bool atomic_transactions = true;
};

struct SimResult {
  bool ok = false;
  std::string failure;      // first violated invariant (empty when ok)
  uint64_t state_hash = 0;  // hash of every region's final tables and applied vector
  int regions = 0;
  uint64_t acknowledged = 0;  // client writes acknowledged (transactions included)
  uint64_t transactions = 0;  // transactions acknowledged
  uint64_t crashes = 0;
  uint64_t partitions = 0;
  uint64_t messages = 0;     // delivered by the network
  int64_t simulated_ms = 0;  // virtual time the run covered
  int64_t converge_ms = 0;   // virtual time from the final heal to quiescence
};

SimResult RunSimulation(const SimOptions& options);

}  // namespace meridian::sim
