#include "tests/sim/transaction_workload.h"

#include <map>
#include <optional>
#include <set>

#include "conflict/local_write.h"

namespace meridian::sim {
namespace {

using model::AttributeValue;
using model::Item;

// A pair: two items written together. Pairs 0-2 span two lww tables; pairs 3-4 are two
// partitions of one merge table (per-attribute registers: a transaction's SET of `v` on
// both items wins or loses as one there too, having one timestamp).
struct Pair {
  const char* table_a;
  const char* table_b;
  bool merge;
};
constexpr Pair kPairs[] = {
    {"txn_a", "txn_b", false}, {"txn_a", "txn_b", false}, {"txn_a", "txn_b", false},
    {"txn_m", "txn_m", true},  {"txn_m", "txn_m", true},
};
constexpr int kPairCount = sizeof kPairs / sizeof kPairs[0];

std::string KeyA(int p) { return "pa" + std::to_string(p); }
std::string KeyB(int p) { return "pb" + std::to_string(p); }

class TransactionWorkload final : public Workload {
 public:
  std::vector<store::TableInfo> Tables() const override {
    std::vector<store::TableInfo> tables;
    for (const char* name : {"txn_a", "txn_b", "txn_m"}) {
      store::TableInfo info;
      info.name = name;
      info.partition_key = {"pk", store::KeyType::kS};
      info.all_regions = true;
      info.conflict_policy = std::string(name) == "txn_m" ? conflict::ConflictPolicy::kMerge
                                                          : conflict::ConflictPolicy::kLww;
      tables.push_back(std::move(info));
    }
    return tables;
  }

  void Step(SimContext& sim) override {
    store::Store* store = sim.RandomLiveStore();
    if (!store) return;
    const int p = static_cast<int>(sim.Uniform(0, kPairCount - 1));
    const std::string value = "t" + std::to_string(next_value_++);
    auto a = store->GetTable(kPairs[p].table_a);
    auto b = store->GetTable(kPairs[p].table_b);
    if (!a.ok() || !b.ok()) return;
    auto write = [&](const std::string& key) -> store::MutationFn {
      return [key, value, merge = kPairs[p].merge](const Item*) -> Result<store::Mutation> {
        Item item{{"pk", AttributeValue::S(key)}, {"v", AttributeValue::S(value)}};
        if (!merge) return store::Mutation::Put(std::move(item));
        return store::Mutation::Update(item,
                                       {conflict::AttributeOp::Set("v", AttributeValue::S(value))},
                                       Item{{"pk", AttributeValue::S(key)}});
      };
    };
    std::vector<store::TransactItem> items;
    items.push_back({a->get(), AttributeValue::S(KeyA(p)), std::nullopt, write(KeyA(p))});
    items.push_back({b->get(), AttributeValue::S(KeyB(p)), std::nullopt, write(KeyB(p))});
    auto result = store->Transact(items, std::nullopt);
    if (result.ok() && result->outcome == store::TransactResult::Outcome::kCommitted) {
      acknowledged_[p].insert(value);
      ++acked_;
      sim.Acknowledged();
    }
  }

  std::string CheckStep(SimContext& sim) override {
    for (store::Store* store : sim.LiveStores()) {
      for (int p = 0; p < kPairCount; ++p) {
        auto seen = ReadPair(store, p);
        if (!seen) continue;  // the tables are not there yet
        if (seen->first != seen->second) {
          return "transaction seen in part: pair " + std::to_string(p) + " holds " +
                 Show(seen->first) + " and " + Show(seen->second) + " in " + store->region();
        }
      }
    }
    return "";
  }

  std::string CheckFinal(SimContext& sim) override {
    std::string failure = CheckStep(sim);
    if (!failure.empty()) return failure;
    for (store::Store* store : sim.LiveStores()) {
      for (int p = 0; p < kPairCount; ++p) {
        auto seen = ReadPair(store, p);
        if (!seen) return "pair " + std::to_string(p) + " unreadable in " + store->region();
        if (!seen->first) {
          if (!acknowledged_[p].empty()) {
            return "acknowledged transactions on pair " + std::to_string(p) + " lost";
          }
          continue;
        }
        if (!acknowledged_[p].count(*seen->first)) {
          return "pair " + std::to_string(p) + " holds " + *seen->first +
                 ", which no acknowledged transaction wrote";
        }
      }
    }
    return "";
  }

  uint64_t acknowledged() const override { return acked_; }

 private:
  using Value = std::optional<std::string>;
  static std::string Show(const Value& v) { return v ? *v : "(absent)"; }

  // The pair's two values at one snapshot; nullopt when a table is missing here.
  static std::optional<std::pair<Value, Value>> ReadPair(store::Store* store, int p) {
    auto a = store->GetTable(kPairs[p].table_a);
    auto b = store->GetTable(kPairs[p].table_b);
    if (!a.ok() || !b.ok()) return std::nullopt;
    std::vector<Status> status;
    auto items = store->GetItemsAtSnapshot({{a->get(), AttributeValue::S(KeyA(p)), std::nullopt},
                                            {b->get(), AttributeValue::S(KeyB(p)), std::nullopt}},
                                           &status);
    if (!items.ok() || items->size() != 2) return std::nullopt;
    auto value = [](const std::optional<Item>& item) -> Value {
      if (!item || !item->count("v")) return std::nullopt;
      return item->at("v").s();
    };
    return std::pair((*items)[0] ? value((*items)[0]) : Value(),
                     (*items)[1] ? value((*items)[1]) : Value());
  }

  uint64_t next_value_ = 0;
  uint64_t acked_ = 0;
  std::map<int, std::set<std::string>> acknowledged_;  // per pair
};

}  // namespace

std::unique_ptr<Workload> MakeTransactionWorkload() {
  return std::make_unique<TransactionWorkload>();
}

}  // namespace meridian::sim
