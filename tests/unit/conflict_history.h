// Random histories for the property tests: rapidcheck generators of steps (local writes
// and deliveries at 3-5 replicas), their interpretation on a Cluster, and reference models
// of what the merged item must be, computed from the write events alone.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <vector>

#include "conflict_test_util.h"

namespace meridian::conflict::testing {

// Which operations a history draws from.
enum class Profile {
  kFull,        // every op on a few attributes of mixed types (type conflicts included)
  kMixed,       // every op on one attribute, any type: concurrent type conflicts galore
  kCounters,    // numbers only on "c": ADD mostly, SET, REMOVE, PutItem, DeleteItem
  kIncrements,  // ADD only, on "c" and "d"
  kSets,        // string sets only on "s": ADD, DELETE, SET, REMOVE, PutItem, DeleteItem
};

struct OpSpec {
  uint8_t attr = 0;
  uint8_t kind = 0;
  uint8_t value = 0;
};

struct StepSpec {
  uint8_t action = 0;      // write or deliver
  uint8_t replica = 0;     // who writes / who receives
  uint16_t pick = 0;       // deliver: which snapshot or which replica's current version
  uint8_t write_kind = 0;  // put / update / delete
  std::vector<OpSpec> ops;
  uint8_t clock = 0;  // time that passes before the step
  uint8_t gap = 0;    // seqs other items used at the writer since its last write
};

std::ostream& operator<<(std::ostream& os, const OpSpec& op);
std::ostream& operator<<(std::ostream& os, const StepSpec& step);

rc::Gen<StepSpec> GenStep();

// Draws a replica count (min_replicas..5), clock offsets and 4..max_steps steps inside a
// property.
struct History {
  int replicas = 3;
  std::vector<uint64_t> offsets_ms;
  std::vector<StepSpec> steps;
  uint64_t order_seed = 0;
};
History DrawHistory(int max_steps, int min_replicas = 3, int max_replicas = 5);

// Runs the steps on `cluster` (writes rejected by DynamoDB validation are skipped).
void RunHistory(const History& history, Profile profile, Cluster* cluster);

// Reference models. Each returns the visible value of `attr` that the semantics in
// docs/conflicts.md prescribe once every write has reached every replica.
// Counters (kCounters, kIncrements): the latest (hlc, region) SET no other reset saw, plus
// every ADD that no SET/REMOVE/PutItem/DeleteItem saw.
std::optional<AttributeValue> ReferenceCounter(const std::vector<WriteEvent>& events,
                                               const std::string& attr);
// Add-wins set (kSets): members with an add that no remove of them, SET, REMOVE, PutItem
// or DeleteItem saw.
std::optional<AttributeValue> ReferenceOrSet(const std::vector<WriteEvent>& events,
                                             const std::string& attr);
// LWW: the item written by the greatest (hlc, region, seq) write.
Item ReferenceLww(const std::vector<WriteEvent>& events);

}  // namespace meridian::conflict::testing
