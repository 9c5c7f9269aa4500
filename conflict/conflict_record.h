// What the conflict log (/conflictz) and the conflict metrics get when two versions of an
// item were concurrent: both versions as users see them, the result, the winner and the
// rule that decided (docs/design.md section 5: every concurrent resolution is recorded).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "conflict/hlc.h"
#include "conflict/item_version.h"
#include "conflict/version_vector.h"
#include "model/attribute_value.h"

namespace meridian::conflict {

enum class ConflictRule : uint8_t {
  kLwwHigherTimestamp,  // lww: the version with the higher HLC won
  kLwwRegionTieBreak,   // lww: equal HLCs; the higher origin region id won
  kMergeAttributes,     // merge: the versions were combined attribute by attribute
};

enum class ConflictWinner : uint8_t { kLocal, kRemote, kMerged };

// How one attribute whose visible values differed between the two versions ended up
// (merge policy), judged from the merged state.
enum class AttributeRule : uint8_t {
  kRegisterLww,  // concurrent SETs: the greatest (HLC, region) shows
  kCounterSum,   // a number carrying increments: every increment not seen by a SET counts
  kAddWinsSet,   // a set: adds survive removes that had not seen them
  kKeptUnseen,   // one side's change, which the other side had not seen, shows
  kRemoved,      // absent: removed by a side that had seen every change to it
};

// "lww_higher_timestamp" ... : stable snake_case names for metric labels and logs.
const char* ConflictRuleName(ConflictRule rule);
const char* ConflictWinnerName(ConflictWinner winner);
const char* AttributeRuleName(AttributeRule rule);

// One version as the log shows it.
struct ConflictSide {
  Dot dot;
  Hlc hlc;
  VersionVector vector;
  bool tombstone = true;
  model::Item item;  // Materialize(version)
  bool operator==(const ConflictSide&) const = default;
};

// Captures a version for a record (materializes it).
ConflictSide DescribeVersion(const ItemVersion& version);

struct ConflictRecord {
  ConflictPolicy policy = ConflictPolicy::kLww;
  ConflictRule rule = ConflictRule::kLwwHigherTimestamp;
  ConflictWinner winner = ConflictWinner::kLocal;
  ConflictSide local;   // the stored version
  ConflictSide remote;  // the version that arrived
  ConflictSide merged;  // the version now stored
  // kMerge only: every attribute whose visible value differed between local and remote,
  // sorted by name, with how it was resolved.
  std::vector<std::pair<std::string, AttributeRule>> attributes;
  std::string table;  // set by the store that logs the record ("" in conflict/ itself)

  // One line for logs: "merge winner=merged local=1:5@... remote=2:9@... attrs=[n:counter_sum]".
  std::string ToString() const;
  bool operator==(const ConflictRecord&) const = default;
};

// How `name` was resolved, given the merged attribute state (null when it is gone).
AttributeRule ClassifyAttribute(const AttributeState* merged);

}  // namespace meridian::conflict
