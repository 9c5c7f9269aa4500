// Combining versions of one item that come from different regions (docs/design.md section 5).
// Pure functions: no clocks, no I/O, same bytes on every region for the same inputs.
#pragma once

#include <optional>

#include "common/status.h"
#include "conflict/conflict_record.h"
#include "conflict/item_version.h"

namespace meridian::conflict {

// The least version that contains both: the vectors are joined and
//  - kLww: the item of the greater (hlc, dot) write wins whole (tombstones included);
//  - kMerge: every attribute is joined with JoinAttribute under both causal contexts.
// Commutative, associative and idempotent on versions built by this library, and the
// result is canonical, so EncodeItemVersion(Join(a, b)) == EncodeItemVersion(Join(b, a)).
// An unwritten side yields the other. InvalidArgument when both are written under
// different policies.
Result<ItemVersion> Join(ItemVersion a, const ItemVersion& b);

enum class MergeAction : uint8_t {
  kSkipped,   // the remote version was already covered (V_remote <= V_local)
  kReplaced,  // the remote version was causally newer (V_local < V_remote)
  kMerged,    // concurrent: joined by the policy
};
const char* MergeActionName(MergeAction action);

struct MergeOptions {
  // Build a ConflictRecord for concurrent versions. It materializes both inputs and the
  // result, which costs several times the merge itself; turn it off where nobody reads it.
  bool record_conflict = true;
};

struct MergeOutcome {
  MergeAction action = MergeAction::kSkipped;
  std::optional<ConflictRecord> conflict;  // set for kMerged when requested
};

// Applies a version received from another region to the stored one, in place: skip if
// already covered (V_remote <= V_local), replace if causally newer (V_local < V_remote),
// otherwise Join by the policy and (optionally) record the conflict. Afterwards *local ==
// Join(old *local, remote) in every case; the fast paths only avoid work. `*local` is a
// default ItemVersion when the item was never written here.
// InvalidArgument (and *local unchanged) when both are written under different policies.
Result<MergeOutcome> MergeRemoteInto(ItemVersion* local, const ItemVersion& remote,
                                     const MergeOptions& options = {});

// MergeRemoteInto for callers that prefer values: returns the new version with the outcome.
// A causally newer `remote` (the usual case when replicating) becomes the result without a
// copy of either version: pass it with std::move.
struct RemoteMergeResult {
  MergeAction action = MergeAction::kSkipped;
  ItemVersion version;                     // what to store now (== local when kSkipped)
  std::optional<ConflictRecord> conflict;  // set for kMerged when requested
};
Result<RemoteMergeResult> MergeRemote(const ItemVersion& local, ItemVersion remote,
                                      const MergeOptions& options = {});

}  // namespace meridian::conflict
