#include "conflict_test_util.h"

#include <algorithm>
#include <random>
#include <utility>

namespace meridian::conflict::testing {

std::string Show(const AttributeValue& v) {
  switch (v.type()) {
    case model::AttrType::kS: return "\"" + v.s() + "\"";
    case model::AttrType::kN: return v.n().ToString();
    case model::AttrType::kB: return "b\"" + v.b() + "\"";
    case model::AttrType::kBool: return v.boolean() ? "true" : "false";
    case model::AttrType::kNull: return "null";
    case model::AttrType::kM: return Show(v.m());
    case model::AttrType::kL: {
      std::string out = "[";
      for (const AttributeValue& e : v.l()) out += Show(e) + ",";
      return out + "]";
    }
    case model::AttrType::kSS:
    case model::AttrType::kBS: {
      std::string out = v.type() == model::AttrType::kSS ? "SS{" : "BS{";
      for (const std::string& s : v.ss()) out += s + ",";
      return out + "}";
    }
    case model::AttrType::kNS: {
      std::string out = "NS{";
      for (const Number& n : v.ns()) out += n.ToString() + ",";
      return out + "}";
    }
  }
  return "?";
}

std::string Show(const Item& item) {
  std::string out = "{";
  for (const auto& [name, value] : item) out += name + ":" + Show(value) + " ";
  return out + "}";
}

Cluster::Cluster(int replicas, ConflictPolicy policy, std::vector<uint64_t> clock_offsets_ms)
    : policy_(policy) {
  replicas_.resize(replicas);
  for (int r = 0; r < replicas; ++r) {
    Replica& rep = replicas_[r];
    rep.offset_ms = r < static_cast<int>(clock_offsets_ms.size()) ? clock_offsets_ms[r] : 0;
    rep.physical = std::make_unique<ManualClock>(now_ms_ + rep.offset_ms);
    rep.hlc = std::make_unique<HybridLogicalClock>(rep.physical.get(), kMaxSkewMs);
  }
}

void Cluster::Fail(const std::string& what) {
  if (error_.empty()) error_ = what;
}

Status Cluster::Write(int r, const LocalWrite& write, uint64_t seq_gap) {
  Replica& rep = replicas_[r];
  rep.physical->Set(now_ms_ + rep.offset_ms);
  const Dot dot{static_cast<RegionId>(r + 1), rep.next_seq + seq_gap};
  const Hlc hlc = rep.hlc->Now();
  Result<ItemVersion> out = ApplyLocalWrite(rep.version, policy_, write, dot, hlc);

  // What DynamoDB would show after this write.
  Item expected;
  Status expected_status;
  if (write.kind == LocalWrite::Kind::kPut) {
    expected = write.item;
  } else if (write.kind == LocalWrite::Kind::kUpdate) {
    expected = Materialize(rep.version);
    for (const auto& [name, value] : write.key) expected.insert_or_assign(name, value);
    expected_status = ApplyUpdateToItem(write.ops, &expected);
  }
  if (out.ok() != expected_status.ok()) {
    Fail("write status " + out.status().ToString() + " but DynamoDB semantics say " +
         expected_status.ToString());
    return out.status();
  }
  if (!out.ok()) return out.status();

  const Item visible = Materialize(*out);
  if (visible != expected || out->tombstone != expected.empty()) {
    Fail("write at replica " + std::to_string(r) + " shows " + Show(visible) + ", DynamoDB shows " +
         Show(expected) + " (from " + Show(Materialize(rep.version)) + ")");
  }
  if (rep.version.written() && !(out->hlc > rep.version.hlc)) Fail("write did not advance hlc");
  VersionVector want = rep.version.vector;
  want.Add(dot);
  if (out->vector != want) Fail("write vector " + out->vector.ToString());
  const std::string bytes = EncodeItemVersion(*out);
  Result<ItemVersion> decoded = DecodeItemVersion(bytes);
  if (!decoded.ok() || !(*decoded == *out)) {
    Fail("encode/decode round trip: " + decoded.status().ToString());
  }

  events_.push_back(WriteEvent{r, write, rep.version.vector, *out});
  rep.version = std::move(out).value();
  rep.next_seq = dot.seq + 1;
  Snapshot(rep.version);
  return Status::Ok();
}

void Cluster::Receive(const ItemVersion& incoming, int r) {
  Replica& rep = replicas_[r];
  rep.physical->Set(now_ms_ + rep.offset_ms);
  if (rep.hlc->Observe(incoming.hlc).skewed) skew_flags_.push_back(r);

  Result<ItemVersion> joined = Join(rep.version, incoming);
  ItemVersion merged = rep.version;
  Result<MergeOutcome> outcome = MergeRemoteInto(&merged, incoming);
  if (!joined.ok() || !outcome.ok()) {
    Fail("merge failed: " + outcome.status().ToString() + " / " + joined.status().ToString());
    return;
  }
  if (EncodeItemVersion(merged) != EncodeItemVersion(*joined)) {
    Fail(std::string("MergeRemoteInto (") + MergeActionName(outcome->action) +
         ") differs from Join");
  }
  if (outcome->action == MergeAction::kMerged) {
    ++merges_;
    if (!outcome->conflict || !(outcome->conflict->merged == DescribeVersion(merged))) {
      Fail("conflict record missing or wrong");
    }
  } else if (outcome->conflict) {
    Fail("conflict record for a non-concurrent merge");
  }
  if (outcome->action == MergeAction::kSkipped) return;
  rep.version = std::move(merged);
  Snapshot(rep.version);
}

void Cluster::Deliver(size_t index, int r) {
  const ItemVersion incoming = snapshots_[index];
  Receive(incoming, r);
}

void Cluster::DeliverCurrent(int from, int r) {
  const ItemVersion incoming = replicas_[from].version;
  Receive(incoming, r);
}

void Cluster::DeliverAll(uint64_t order_seed) {
  std::vector<std::pair<int, int>> pairs;
  for (int i = 0; i < size(); ++i) {
    for (int j = 0; j < size(); ++j) {
      if (i != j) pairs.emplace_back(i, j);
    }
  }
  std::mt19937_64 rng(order_seed);
  std::shuffle(pairs.begin(), pairs.end(), rng);
  for (size_t k = 0; k < pairs.size(); ++k) {
    for (size_t times = 0; times < 1 + k % 2; ++times)
      DeliverCurrent(pairs[k].first, pairs[k].second);
  }
}

std::string Cluster::Divergence() const {
  const std::string first = EncodeItemVersion(replicas_[0].version);
  for (int r = 1; r < size(); ++r) {
    if (EncodeItemVersion(replicas_[r].version) != first) {
      return "replica 0 " + Show(Materialize(replicas_[0].version)) +
             replicas_[0].version.vector.ToString() + " vs replica " + std::to_string(r) + " " +
             Show(Materialize(replicas_[r].version)) + replicas_[r].version.vector.ToString();
    }
  }
  return "";
}

}  // namespace meridian::conflict::testing
