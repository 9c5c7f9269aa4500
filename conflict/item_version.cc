#include "conflict/item_version.h"

#include <algorithm>

namespace meridian::conflict {

const char* PolicyName(ConflictPolicy policy) {
  return policy == ConflictPolicy::kMerge ? "merge" : "lww";
}

Result<ConflictPolicy> ParsePolicy(std::string_view name) {
  if (name == "lww") return ConflictPolicy::kLww;
  if (name == "merge") return ConflictPolicy::kMerge;
  return Status::InvalidArgument("meridian:conflict must be lww or merge, not '" +
                                 std::string(name) + "'");
}

model::Item Materialize(const ItemVersion& version) {
  if (version.policy == ConflictPolicy::kLww) return version.item;
  model::Item item;
  for (const auto& [name, state] : version.attributes) {
    std::optional<model::AttributeValue> value = MaterializeAttribute(state);
    // Names arrive sorted: hinting at end() makes each insertion O(1).
    if (value) item.emplace_hint(item.end(), name, std::move(*value));
  }
  return item;
}

bool AnyAttributePresent(const AttributeStates& attributes) {
  return std::any_of(attributes.begin(), attributes.end(),
                     [](const auto& a) { return AttributePresent(a.second); });
}

}  // namespace meridian::conflict
