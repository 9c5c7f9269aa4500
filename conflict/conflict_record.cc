#include "conflict/conflict_record.h"

#include <algorithm>

namespace meridian::conflict {

const char* ConflictRuleName(ConflictRule rule) {
  switch (rule) {
    case ConflictRule::kLwwHigherTimestamp: return "lww_higher_timestamp";
    case ConflictRule::kLwwRegionTieBreak: return "lww_region_tie_break";
    case ConflictRule::kMergeAttributes: return "merge_attributes";
  }
  return "?";
}

const char* ConflictWinnerName(ConflictWinner winner) {
  switch (winner) {
    case ConflictWinner::kLocal: return "local";
    case ConflictWinner::kRemote: return "remote";
    case ConflictWinner::kMerged: return "merged";
  }
  return "?";
}

const char* AttributeRuleName(AttributeRule rule) {
  switch (rule) {
    case AttributeRule::kRegisterLww: return "register_lww";
    case AttributeRule::kCounterSum: return "counter_sum";
    case AttributeRule::kAddWinsSet: return "add_wins_set";
    case AttributeRule::kKeptUnseen: return "kept_unseen";
    case AttributeRule::kRemoved: return "removed";
  }
  return "?";
}

ConflictSide DescribeVersion(const ItemVersion& version) {
  return ConflictSide{version.dot, version.hlc, version.vector, version.tombstone,
                      Materialize(version)};
}

AttributeRule ClassifyAttribute(const AttributeState* merged) {
  if (merged == nullptr) return AttributeRule::kRemoved;
  std::optional<model::AttributeValue> value = MaterializeAttribute(*merged);
  if (!value) return AttributeRule::kRemoved;
  if (value->is_set()) return AttributeRule::kAddWinsSet;
  const bool live_increments = std::any_of(merged->counters.begin(), merged->counters.end(),
                                           [](const CounterEntry& c) { return c.live(); });
  if (value->type() == model::AttrType::kN && live_increments) return AttributeRule::kCounterSum;
  if (merged->registers.size() >= 2) return AttributeRule::kRegisterLww;
  return AttributeRule::kKeptUnseen;
}

std::string ConflictRecord::ToString() const {
  auto side = [](const ConflictSide& s) {
    return s.dot.ToString() + "@" + s.hlc.ToString() + s.vector.ToString() +
           (s.tombstone ? "(deleted)" : "");
  };
  std::string out = std::string(PolicyName(policy)) + " rule=" + ConflictRuleName(rule) +
                    " winner=" + ConflictWinnerName(winner) + " local=" + side(local) +
                    " remote=" + side(remote) + " merged=" + side(merged);
  if (!attributes.empty()) {
    out += " attrs=[";
    for (size_t i = 0; i < attributes.size(); ++i) {
      if (i > 0) out += ",";
      out += attributes[i].first + ":" + AttributeRuleName(attributes[i].second);
    }
    out += "]";
  }
  return out;
}

}  // namespace meridian::conflict
