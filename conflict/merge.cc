#include "conflict/merge.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace meridian::conflict {
namespace {

bool WinsOver(const ItemVersion& a, const ItemVersion& b) {
  return std::tie(a.hlc, a.dot) > std::tie(b.hlc, b.dot);
}

Status CheckPolicies(const ItemVersion& a, const ItemVersion& b) {
  if (a.written() && b.written() && a.policy != b.policy) {
    return Status::InvalidArgument(std::string("cannot merge a ") + PolicyName(a.policy) +
                                   " version with a " + PolicyName(b.policy) + " version");
  }
  return Status::Ok();
}

// Joins b's attribute states into a's, in place. Both are sorted by name.
void JoinAttributes(AttributeStates& a, const VersionVector& ctx_a, const AttributeStates& b,
                    const VersionVector& ctx_b) {
  const bool same_names =
      std::equal(a.begin(), a.end(), b.begin(), b.end(),
                 [](const auto& x, const auto& y) { return x.first == y.first; });
  if (same_names) {
    for (size_t i = 0; i < a.size(); ++i) {
      JoinAttributeInto(&a[i].second, ctx_a, b[i].second, ctx_b);
    }
  } else {
    const AttributeState nothing;
    AttributeStates out;
    out.reserve(a.size() + b.size());
    size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
      if (j == b.size() || (i < a.size() && a[i].first < b[j].first)) {
        JoinAttributeInto(&a[i].second, ctx_a, nothing, ctx_b);
        out.push_back(std::move(a[i++]));
      } else if (i == a.size() || b[j].first < a[i].first) {
        AttributeState state;
        JoinAttributeInto(&state, ctx_a, b[j].second, ctx_b);
        out.emplace_back(b[j++].first, std::move(state));
      } else {
        JoinAttributeInto(&a[i].second, ctx_a, b[j++].second, ctx_b);
        out.push_back(std::move(a[i++]));
      }
    }
    a = std::move(out);
  }
  std::erase_if(a, [](const auto& attribute) { return attribute.second.empty(); });
}

// *a = Join(*a, b) for two written versions of one policy.
void JoinInto(ItemVersion* a, const ItemVersion& b) {
  if (a->policy == ConflictPolicy::kLww) {
    if (WinsOver(b, *a)) {
      a->dot = b.dot;
      a->hlc = b.hlc;
      a->tombstone = b.tombstone;
      a->item = b.item;
    }
    a->vector.Join(b.vector);
    return;
  }
  JoinAttributes(a->attributes, a->vector, b.attributes, b.vector);
  if (WinsOver(b, *a)) {
    a->dot = b.dot;
    a->hlc = b.hlc;
  }
  a->vector.Join(b.vector);
  a->tombstone = !AnyAttributePresent(a->attributes);
}

// Attributes whose visible values differ between the two sides, with their resolution.
std::vector<std::pair<std::string, AttributeRule>> DescribeAttributes(
    const model::Item& local, const model::Item& remote, const AttributeStates& merged) {
  std::vector<std::pair<std::string, AttributeRule>> out;
  auto classify = [&](const std::string& name) {
    auto it = std::lower_bound(merged.begin(), merged.end(), name,
                               [](const auto& a, const std::string& n) { return a.first < n; });
    const AttributeState* state = (it != merged.end() && it->first == name) ? &it->second : nullptr;
    out.emplace_back(name, ClassifyAttribute(state));
  };
  auto l = local.begin();
  auto r = remote.begin();
  while (l != local.end() || r != remote.end()) {
    if (r == remote.end() || (l != local.end() && l->first < r->first)) {
      classify((l++)->first);
    } else if (l == local.end() || r->first < l->first) {
      classify((r++)->first);
    } else {
      if (!(l->second == r->second)) classify(l->first);
      ++l;
      ++r;
    }
  }
  return out;
}

}  // namespace

const char* MergeActionName(MergeAction action) {
  switch (action) {
    case MergeAction::kSkipped: return "skipped";
    case MergeAction::kReplaced: return "replaced";
    case MergeAction::kMerged: return "merged";
  }
  return "?";
}

Result<ItemVersion> Join(ItemVersion a, const ItemVersion& b) {
  MERIDIAN_RETURN_IF_ERROR(CheckPolicies(a, b));
  if (!b.written()) return a;
  if (!a.written()) return b;
  JoinInto(&a, b);
  return a;
}

Result<MergeOutcome> MergeRemoteInto(ItemVersion* local, const ItemVersion& remote,
                                     const MergeOptions& options) {
  MERIDIAN_RETURN_IF_ERROR(CheckPolicies(*local, remote));
  MergeOutcome outcome;
  switch (remote.vector.Compare(local->vector)) {
    case CausalOrder::kEqual:
    case CausalOrder::kBefore: outcome.action = MergeAction::kSkipped; return outcome;
    case CausalOrder::kAfter:
      outcome.action = MergeAction::kReplaced;
      *local = remote;
      return outcome;
    case CausalOrder::kConcurrent: break;
  }
  outcome.action = MergeAction::kMerged;
  if (!options.record_conflict) {
    JoinInto(local, remote);
    return outcome;
  }
  ConflictRecord record;
  record.policy = local->policy;
  record.local = DescribeVersion(*local);
  record.remote = DescribeVersion(remote);
  if (local->policy == ConflictPolicy::kLww) {
    record.winner = WinsOver(remote, *local) ? ConflictWinner::kRemote : ConflictWinner::kLocal;
    record.rule = local->hlc == remote.hlc ? ConflictRule::kLwwRegionTieBreak
                                           : ConflictRule::kLwwHigherTimestamp;
  } else {
    record.winner = ConflictWinner::kMerged;
    record.rule = ConflictRule::kMergeAttributes;
  }
  JoinInto(local, remote);
  record.merged = DescribeVersion(*local);
  if (record.policy == ConflictPolicy::kMerge) {
    record.attributes =
        DescribeAttributes(record.local.item, record.remote.item, local->attributes);
  }
  outcome.conflict = std::move(record);
  return outcome;
}

Result<RemoteMergeResult> MergeRemote(const ItemVersion& local, ItemVersion remote,
                                      const MergeOptions& options) {
  MERIDIAN_RETURN_IF_ERROR(CheckPolicies(local, remote));
  RemoteMergeResult result;
  if (remote.vector.Compare(local.vector) == CausalOrder::kAfter) {
    result.action = MergeAction::kReplaced;  // what MergeRemoteInto does, without copies
    result.version = std::move(remote);
    return result;
  }
  result.version = local;
  Result<MergeOutcome> outcome = MergeRemoteInto(&result.version, remote, options);
  if (!outcome.ok()) return outcome.status();
  result.action = outcome->action;
  result.conflict = std::move(outcome->conflict);
  return result;
}

}  // namespace meridian::conflict
