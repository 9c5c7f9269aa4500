// A simulation workload in FoundationDB's shape (setup / start / check): it names the tables
// it needs, issues one client operation per Step against a live region, and checks its
// invariants after every step and at the end. Workloads compose with the simulation's fault
// schedule (partitions, drops, crashes) and with each other: each owns its tables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.h"

namespace meridian::sim {

// What a workload may use of the running simulation.
class SimContext {
 public:
  virtual ~SimContext() = default;
  // The store of a random live region (nullptr when every region is down), and of each.
  virtual store::Store* RandomLiveStore() = 0;
  virtual std::vector<store::Store*> LiveStores() = 0;
  // Seeded randomness (the run replays exactly).
  virtual int64_t Uniform(int64_t lo, int64_t hi) = 0;
  // A client write was acknowledged (counted in SimResult::acknowledged).
  virtual void Acknowledged() = 0;
};

class Workload {
 public:
  virtual ~Workload() = default;
  // Setup: the tables to create (global, in every region) before the first step.
  virtual std::vector<store::TableInfo> Tables() const = 0;
  // Start: one client operation.
  virtual void Step(SimContext& sim) = 0;
  // Check, after every step on every live region: the first violated invariant, or "".
  virtual std::string CheckStep(SimContext& sim) = 0;
  // Check, once every region has converged: the first violated invariant, or "".
  virtual std::string CheckFinal(SimContext& sim) = 0;
  // Operations this workload got acknowledged.
  virtual uint64_t acknowledged() const = 0;
};

}  // namespace meridian::sim
