// Helpers for the conflict/ tests: value builders and a small in-memory cluster that runs
// local writes at several replicas and delivers versions between them (state-based, in
// any order, stale and duplicated), recording every write for reference models.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conflict/hlc.h"
#include "conflict/item_version.h"
#include "conflict/local_write.h"
#include "conflict/merge.h"
#include "conflict/version_codec.h"
#include "model/attribute_value.h"
#include "model/number.h"

namespace meridian::conflict::testing {

using model::AttributeValue;
using model::Item;
using model::Number;

inline Number Num(const std::string& text) {
  Result<Number> n = Number::Parse(text);
  EXPECT_TRUE(n.ok()) << text;
  return n.ok() ? *n : Number();
}
inline AttributeValue N(const std::string& text) { return AttributeValue::N(Num(text)); }
inline AttributeValue S(const std::string& s) { return AttributeValue::S(s); }
inline AttributeValue SS(std::vector<std::string> v) { return AttributeValue::SS(std::move(v)); }
inline AttributeValue NS(const std::vector<std::string>& v) {
  std::vector<Number> numbers;
  for (const std::string& t : v) numbers.push_back(Num(t));
  return AttributeValue::NS(std::move(numbers));
}

// Short readable form of values and items for failure messages.
std::string Show(const AttributeValue& v);
std::string Show(const Item& item);

// A physical clock the test sets by hand.
class ManualClock : public PhysicalClock {
 public:
  explicit ManualClock(uint64_t ms = 0) : ms_(ms) {}
  uint64_t NowMillis() override { return ms_; }
  void Set(uint64_t ms) { ms_ = ms; }
  void Advance(uint64_t ms) { ms_ += ms; }

 private:
  uint64_t ms_;
};

// One accepted local write, for reference models.
struct WriteEvent {
  int replica = 0;
  LocalWrite write;
  VersionVector observed;  // the stored vector it was built on: what it had seen
  ItemVersion result;      // the version it produced (dot, hlc, visible item)
};

// N replicas of one item. Region ids are 1..N (replica i has region i + 1).
class Cluster {
 public:
  static constexpr uint64_t kMaxSkewMs = 100;

  // `clock_offsets_ms[i]`: replica i's physical clock lead over the shared time.
  Cluster(int replicas, ConflictPolicy policy, std::vector<uint64_t> clock_offsets_ms = {});

  int size() const { return static_cast<int>(replicas_.size()); }
  ConflictPolicy policy() const { return policy_; }
  void AdvanceTime(uint64_t ms) { now_ms_ += ms; }

  // Writes at replica r with the next change-log seq (after `seq_gap` seqs used by other
  // items) and the replica's HLC. Also checks that the visible result is DynamoDB's
  // (ApplyUpdateToItem on the visible item) and that rejected writes change nothing.
  // Returns the write's status (validation errors are expected and harmless).
  Status Write(int r, const LocalWrite& write, uint64_t seq_gap = 0);

  // Delivers snapshot `index` (any version any replica ever held) to replica r.
  void Deliver(size_t index, int r);
  // Delivers replica `from`'s current version to replica r.
  void DeliverCurrent(int from, int r);
  // Every replica receives every other's current version, in the order of `order_seed`'s
  // shuffle, with each delivery repeated `1 + (k % 2)` times: afterwards all must agree.
  void DeliverAll(uint64_t order_seed);

  const ItemVersion& replica(int r) const { return replicas_[r].version; }
  const std::vector<ItemVersion>& snapshots() const { return snapshots_; }
  const std::vector<WriteEvent>& events() const { return events_; }
  const std::vector<int>& skew_flags() const { return skew_flags_; }
  int merges() const { return merges_; }

  // Empty when every replica's encoded version is identical; else a description.
  std::string Divergence() const;

  // First failed internal check (visible result of a write differed from DynamoDB's,
  // Encode/Decode did not round-trip, a merge failed), or empty.
  const std::string& error() const { return error_; }

 private:
  struct Replica {
    ItemVersion version;
    uint64_t next_seq = 1;
    std::unique_ptr<ManualClock> physical;
    std::unique_ptr<HybridLogicalClock> hlc;
    uint64_t offset_ms = 0;
  };
  void Fail(const std::string& what);
  void Snapshot(const ItemVersion& v) { snapshots_.push_back(v); }
  void Receive(const ItemVersion& incoming, int r);

  ConflictPolicy policy_;
  uint64_t now_ms_ = 1'700'000'000'000;
  std::vector<Replica> replicas_;
  std::vector<ItemVersion> snapshots_;
  std::vector<WriteEvent> events_;
  std::vector<int> skew_flags_;
  int merges_ = 0;
  std::string error_;
};

// The key every test item uses.
inline Item TestKey() { return Item{{"pk", S("k")}}; }

}  // namespace meridian::conflict::testing
