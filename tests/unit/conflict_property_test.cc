// Laws of conflict/ on random histories (rapidcheck). Each case: 3-5 replicas, random local
// writes (PutItem, UpdateItem ops, DeleteItem) with random clocks, and deliveries of random
// past versions (stale, duplicated, reordered) between them; then every replica receives
// every other's state. Defaults: 10,000 cases per property with a fixed seed (see
// conflict_rc_config.cc); RC_PARAMS="seed=N" or "max_success=N" overrides.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "conflict_history.h"

namespace meridian::conflict::testing {
namespace {

constexpr int kMaxSteps = 24;

// Runs a history to quiescence and checks the invariants every history must keep.
void RunToQuiescence(const History& h, Profile profile, Cluster* cluster) {
  RunHistory(h, profile, cluster);
  cluster->DeliverAll(h.order_seed);
  RC_ASSERT(cluster->error() == "");
  RC_ASSERT(cluster->Divergence() == "");
  // The state every replica agrees on is the join of everything that ever existed.
  ItemVersion all;
  for (const ItemVersion& v : cluster->snapshots()) {
    Result<ItemVersion> j = Join(std::move(all), v);
    RC_ASSERT(j.ok());
    all = std::move(j).value();
  }
  RC_ASSERT(EncodeItemVersion(all) == EncodeItemVersion(cluster->replica(0)));
}

std::string ShowOpt(const std::optional<AttributeValue>& v) { return v ? Show(*v) : "<absent>"; }

std::optional<AttributeValue> Visible(const ItemVersion& v, const std::string& attr) {
  Item item = Materialize(v);
  auto it = item.find(attr);
  if (it == item.end()) return std::nullopt;
  return it->second;
}

RC_GTEST_PROP(ConflictProperty, MergePolicyReplicasConverge, ()) {
  const Profile profile = *rc::gen::element(Profile::kFull, Profile::kMixed);
  // kMixed: one attribute and long histories at 3 replicas, so deep interleavings (members
  // removed concurrently, then an op on what is left) actually happen.
  const History h = profile == Profile::kMixed ? DrawHistory(40, 3, 3) : DrawHistory(kMaxSteps);
  Cluster cluster(h.replicas, ConflictPolicy::kMerge, h.offsets_ms);
  RunToQuiescence(h, profile, &cluster);
  RC_TAG(cluster.merges() > 0 ? "concurrent" : "sequential");
}

RC_GTEST_PROP(ConflictProperty, LwwReplicasConvergeOnGreatestHlcRegion, ()) {
  const History h = DrawHistory(kMaxSteps);
  Cluster cluster(h.replicas, ConflictPolicy::kLww, h.offsets_ms);
  RunToQuiescence(h, Profile::kFull, &cluster);
  const Item expected = ReferenceLww(cluster.events());
  const Item actual = Materialize(cluster.replica(0));
  RC_ASSERT(Show(actual) == Show(expected));
  RC_ASSERT(actual == expected);
}

RC_GTEST_PROP(ConflictProperty, CountersEqualSumOfIncrements, ()) {
  const History h = DrawHistory(kMaxSteps);
  Cluster cluster(h.replicas, ConflictPolicy::kMerge, h.offsets_ms);
  RunToQuiescence(h, Profile::kIncrements, &cluster);
  for (const std::string attr : {"c", "d"}) {
    std::optional<Number> sum;
    for (const WriteEvent& e : cluster.events()) {
      for (const AttributeOp& op : e.write.ops) {
        if (op.name != attr) continue;
        Result<Number> s = sum.value_or(Number()).Add(op.value.n());
        RC_ASSERT(s.ok());
        sum = *s;
      }
    }
    const std::optional<AttributeValue> actual = Visible(cluster.replica(0), attr);
    RC_ASSERT(actual.has_value() == sum.has_value());
    if (sum) RC_ASSERT(actual->n() == *sum);
  }
}

RC_GTEST_PROP(ConflictProperty, CountersWithResetsMatchModel, ()) {
  const History h = DrawHistory(kMaxSteps);
  Cluster cluster(h.replicas, ConflictPolicy::kMerge, h.offsets_ms);
  RunToQuiescence(h, Profile::kCounters, &cluster);
  const std::optional<AttributeValue> expected = ReferenceCounter(cluster.events(), "c");
  const std::optional<AttributeValue> actual = Visible(cluster.replica(0), "c");
  RC_ASSERT(ShowOpt(actual) == ShowOpt(expected));
}

RC_GTEST_PROP(ConflictProperty, OrSetMatchesAddWinsModel, ()) {
  const History h = DrawHistory(kMaxSteps);
  Cluster cluster(h.replicas, ConflictPolicy::kMerge, h.offsets_ms);
  RunToQuiescence(h, Profile::kSets, &cluster);
  const std::optional<AttributeValue> expected = ReferenceOrSet(cluster.events(), "s");
  const std::optional<AttributeValue> actual = Visible(cluster.replica(0), "s");
  RC_ASSERT(ShowOpt(actual) == ShowOpt(expected));
}

// Join is a semilattice join on reachable versions; MergeRemote agrees with it.
void CheckLaws(ConflictPolicy policy) {
  const History h = DrawHistory(kMaxSteps);
  const Profile profile = *rc::gen::element(Profile::kFull, Profile::kMixed);
  Cluster cluster(h.replicas, policy, h.offsets_ms);
  RunHistory(h, profile, &cluster);
  RC_ASSERT(cluster.error() == "");
  const auto& snaps = cluster.snapshots();
  RC_PRE(!snaps.empty());
  const ItemVersion& a = snaps[*rc::gen::inRange<size_t>(0, snaps.size())];
  const ItemVersion& b = snaps[*rc::gen::inRange<size_t>(0, snaps.size())];
  const ItemVersion& c = snaps[*rc::gen::inRange<size_t>(0, snaps.size())];
  auto join = [](const ItemVersion& x, const ItemVersion& y) {
    Result<ItemVersion> j = Join(x, y);
    RC_ASSERT(j.ok());
    return std::move(j).value();
  };
  const std::string ab = EncodeItemVersion(join(a, b));
  RC_ASSERT(ab == EncodeItemVersion(join(b, a)));  // commutative
  RC_ASSERT(EncodeItemVersion(join(join(a, b), c)) ==
            EncodeItemVersion(join(a, join(b, c))));                 // associative
  RC_ASSERT(EncodeItemVersion(join(a, a)) == EncodeItemVersion(a));  // idempotent
  RC_ASSERT(EncodeItemVersion(join(join(a, b), b)) == ab);           // absorbs re-delivery
  Result<RemoteMergeResult> m = MergeRemote(a, b);
  RC_ASSERT(m.ok());
  RC_ASSERT(EncodeItemVersion(m->version) == ab);
  VersionVector joined = a.vector;
  joined.Join(b.vector);
  RC_ASSERT(m->version.vector == joined);  // merge results carry the joined vector
  RC_TAG(MergeActionName(m->action));
}

RC_GTEST_PROP(ConflictProperty, MergePolicyJoinIsSemilattice, ()) {
  CheckLaws(ConflictPolicy::kMerge);
}
RC_GTEST_PROP(ConflictProperty, LwwJoinIsSemilattice, ()) { CheckLaws(ConflictPolicy::kLww); }

}  // namespace
}  // namespace meridian::conflict::testing
