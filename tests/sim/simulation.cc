#include "tests/sim/simulation.h"

#include <spdlog/spdlog.h>
#include <xxhash.h>

#include "common/check.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "conflict/hlc.h"
#include "replication/replicator.h"
#include "store/store.h"
#include "tests/sim/sim_network.h"
#include "tests/sim/transaction_workload.h"
#include "tests/sim/workload.h"

namespace meridian::sim {
namespace {

using model::AttributeValue;
using model::Item;
using model::Number;
using store::Mutation;

class VirtualClock final : public conflict::PhysicalClock {
 public:
  explicit VirtualClock(const int64_t* now, int64_t skew) : now_(now), skew_(skew) {}
  uint64_t NowMillis() override { return static_cast<uint64_t>(kEpoch + *now_ + skew_); }

 private:
  static constexpr int64_t kEpoch = 1'800'000'000'000;  // virtual time starts here
  const int64_t* now_;
  int64_t skew_;
};

struct Region {
  std::string name;
  uint32_t id = 0;
  std::string dir;
  std::unique_ptr<VirtualClock> clock;
  std::unique_ptr<replication::Transport> transport;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<replication::Replicator> replicator;
  bool up() const { return store != nullptr; }
};

const char* kTables[] = {"counters", "sets", "regs", "causal"};

class Simulation final : public SimContext {
 public:
  explicit Simulation(const SimOptions& o)
      : o_(o), rng_(o.seed), net_(o.seed * 7919 + 1, NetworkFaults{}) {
    workloads_.push_back(MakeTransactionWorkload());
    if (!o.faults) net_.faults() = NetworkFaults{0, 0, 1, 5};
    const int n = 3 + static_cast<int>(o.seed % 3);
    for (int i = 0; i < n; ++i) {
      auto r = std::make_unique<Region>();
      r->name = "r" + std::to_string(i + 1);
      r->id = static_cast<uint32_t>(i + 1);
      r->dir = o.dir + "/" + r->name;
      // Clocks disagree by up to 50 ms: the HLC must hide that.
      r->clock = std::make_unique<VirtualClock>(&now_, Uniform(-50, 50));
      regions_.push_back(std::move(r));
    }
  }

  SimResult Run() {
    result_.regions = static_cast<int>(regions_.size());
    for (auto& r : regions_) {
      if (!Start(*r)) return Fail("region " + r->name + " did not open");
    }
    CreateTables();
    if (!Quiesce(120'000)) return Fail("tables did not reach every region");
    for (int step = 0; step < o_.steps && result_.failure.empty(); ++step) {
      if (o_.faults && Coin(0.12)) {
        Fault();
      } else {
        ClientOp();
      }
      Advance(Uniform(0, 25));
      for (auto& r : regions_) CheckCausal(*r);  // "no region may ever show y without x"
      for (auto& w : workloads_) {
        if (std::string failure = w->CheckStep(*this); !failure.empty()) Fail(failure);
      }
    }
    if (!result_.failure.empty()) return Finish();
    // Heal everything, restart the crashed, and wait for quiescence.
    net_.HealAll();
    for (auto& r : regions_) {
      if (!r->up() && !Start(*r)) return Fail("region " + r->name + " did not restart");
    }
    const int64_t healed_at = now_;
    if (!Quiesce(300'000))
      return Fail("no convergence within 300 s of virtual time after the heal");
    result_.converge_ms = now_ - healed_at;
    CheckFinal();
    for (auto& w : workloads_) {
      if (std::string failure = w->CheckFinal(*this); !failure.empty()) Fail(failure);
      result_.transactions += w->acknowledged();
    }
    return Finish();
  }

  ~Simulation() {
    for (auto& r : regions_) Crash(*r);
  }

 private:
  // SimContext
  int64_t Uniform(int64_t lo, int64_t hi) override {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  store::Store* RandomLiveStore() override {
    Region* r = RandomUp();
    return r ? r->store.get() : nullptr;
  }
  std::vector<store::Store*> LiveStores() override {
    std::vector<store::Store*> out;
    for (auto& r : regions_) {
      if (r->up()) out.push_back(r->store.get());
    }
    return out;
  }
  void Acknowledged() override { ++result_.acknowledged; }

  bool Coin(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  SimResult Fail(std::string why) {
    if (result_.failure.empty()) result_.failure = std::move(why);
    return Finish();
  }
  SimResult Finish() {
    result_.ok = result_.failure.empty();
    result_.simulated_ms = now_;
    result_.messages = net_.delivered();
    return result_;
  }

  bool Start(Region& r) {
    store::StoreOptions so;
    so.path = r.dir;
    so.region = r.name;
    so.region_id = r.id;
    so.block_cache_mb = 4;
    so.items_write_buffer_mb = 2;
    so.item_cache_mb = 2;
    so.clock = r.clock.get();
    so.atomic_transactions = o_.atomic_transactions;
    std::filesystem::create_directories(r.dir);
    auto opened = store::Store::Open(so);
    if (!opened.ok()) return false;
    r.store = std::move(opened).value();
    r.transport = net_.Connect(r.name);
    replication::ReplicatorOptions ro;
    ro.cluster = "sim";
    ro.region_name = r.name;
    ro.region_id = r.id;
    ro.server_id = r.name;
    ro.heartbeat = std::chrono::milliseconds(100);
    ro.fetch_grace = std::chrono::milliseconds(30);
    ro.trim_interval = std::chrono::milliseconds(1000);
    ro.anti_entropy_interval = std::chrono::milliseconds(0);
    ro.clock = r.clock.get();
    ro.threaded = false;
    ro.atomic_transactions = o_.atomic_transactions;
    // Small batches split transactions across messages, which may then be lost, duplicated
    // or reordered: what the applier must put back together.
    ro.batch_max_changes = 1 + o_.seed % 4;
    r.replicator = std::make_unique<replication::Replicator>(r.store.get(), r.transport.get(), ro);
    replication::Replicator* rep = r.replicator.get();
    r.store->SetCommitListener([rep](uint64_t seq) { rep->NotifyCommitted(seq); });
    return r.replicator->Start().ok();
  }

  // A crash: whatever was committed is on disk (writes are acknowledged only then); the
  // process state goes.
  void Crash(Region& r) {
    r.replicator.reset();
    r.transport.reset();
    r.store.reset();
  }

  void Advance(int64_t ms) {
    // Small slices so heartbeats, fetch graces and deliveries interleave finely.
    const int64_t end = now_ + ms;
    do {
      now_ = std::min(end, now_ + 5);
      net_.DeliverUntil(now_);
      for (auto& r : regions_) {
        if (r->up()) r->replicator->RunOnce();
      }
    } while (now_ < end);
  }

  bool Quiesce(int64_t limit_ms) {
    const int64_t deadline = now_ + limit_ms;
    int stable = 0;
    while (now_ < deadline) {
      Advance(50);
      bool same = true;  // (heartbeats keep the network busy: idle is never required)
      const auto first = regions_[0]->store->AppliedVector();
      for (auto& r : regions_)
        same = same && r->store->AppliedVector() == first && r->store->PendingBackfills().empty();
      for (const std::string& t : regions_[0]->store->ListTableNames()) {
        uint64_t digest = 0;
        for (size_t i = 0; i < regions_.size() && same; ++i) {
          auto table = regions_[i]->store->GetTable(t);
          if (!table.ok()) {
            same = false;
            break;
          }
          const uint64_t d = regions_[i]->store->Digest(**table)->hash;
          if (i == 0) digest = d;
          same = same && d == digest;
        }
      }
      stable = same ? stable + 1 : 0;
      if (std::getenv("MERIDIAN_SIM_DEBUG") && (now_ / 50) % 200 == 0) {
        std::string line = "t=" + std::to_string(now_) + " idle=" + std::to_string(net_.idle());
        for (auto& r : regions_) {
          line += " " + r->name + "=" + r->store->AppliedVector().ToString() +
                  (r->store->PendingBackfills().empty() ? "" : "(bf)");
        }
        std::fprintf(stderr, "%s\n", line.c_str());
      }
      if (stable >= 3) return true;
    }
    return false;
  }

  void CreateTables() {
    for (const char* name : kTables) {
      store::TableInfo info;
      info.name = name;
      info.partition_key = {"pk", store::KeyType::kS};
      info.all_regions = true;
      info.conflict_policy = std::string(name) == "counters" || std::string(name) == "sets"
                                 ? conflict::ConflictPolicy::kMerge
                                 : conflict::ConflictPolicy::kLww;
      MERIDIAN_CHECK(regions_[0]->store->CreateTable(info).ok());
    }
    for (auto& w : workloads_) {
      for (auto& info : w->Tables()) MERIDIAN_CHECK(regions_[0]->store->CreateTable(info).ok());
    }
  }

  Region* RandomUp() {
    std::vector<Region*> up;
    for (auto& r : regions_) {
      if (r->up()) up.push_back(r.get());
    }
    return up.empty() ? nullptr : up[Uniform(0, up.size() - 1)];
  }

  // Writes through the store exactly as the API does for UpdateItem/PutItem; true when
  // acknowledged (committed).
  bool Write(Region& r, const char* table, const std::string& pk, Mutation::Kind kind,
             const std::function<Item(const Item*)>& next, std::vector<conflict::AttributeOp> ops) {
    auto t = r.store->GetTable(table);
    if (!t.ok()) return false;
    Item key{{"pk", AttributeValue::S(pk)}};
    auto w =
        r.store->WriteItem(**t, key.at("pk"), nullptr, [&](const Item* cur) -> Result<Mutation> {
          return Mutation{kind, next(cur), ops, key};
        });
    if (w.ok()) ++result_.acknowledged;
    return w.ok();
  }

  std::optional<Item> Read(Region& r, const char* table, const std::string& pk) {
    auto t = r.store->GetTable(table);
    if (!t.ok()) return std::nullopt;
    auto item = r.store->GetItem(**t, AttributeValue::S(pk), nullptr);
    return item.ok() ? *item : std::nullopt;
  }

  void ClientOp() {
    if (!workloads_.empty() && Uniform(0, 3) == 0) {
      workloads_[Uniform(0, workloads_.size() - 1)]->Step(*this);
      return;
    }
    Region* r = RandomUp();
    if (!r) return;
    switch (Uniform(0, 5)) {
      case 0: {  // counter ADD
        const std::string key = "c" + std::to_string(Uniform(0, 4));
        const Number delta = *Number::Parse(std::to_string(Uniform(-3, 5)));
        auto next = [&](const Item* cur) {
          Item item = cur ? *cur : Item{{"pk", AttributeValue::S(key)}};
          auto it = item.find("n");
          item["n"] = AttributeValue::N(*(it == item.end() ? Number() : it->second.n()).Add(delta));
          return item;
        };
        if (Write(*r, "counters", key, Mutation::Kind::kUpdate, next,
                  {conflict::AttributeOp::CounterAdd("n", delta)})) {
          counters_[key] = *counters_[key].Add(delta);
        }
        break;
      }
      case 1: {  // set ADD of a new element
        const std::string key = "s" + std::to_string(Uniform(0, 2));
        const std::string element = "e" + std::to_string(next_id_++);
        auto next = [&](const Item* cur) {
          Item item = cur ? *cur : Item{{"pk", AttributeValue::S(key)}};
          std::vector<std::string> elements;
          if (auto it = item.find("s"); it != item.end()) elements = it->second.ss();
          elements.push_back(element);
          item["s"] = AttributeValue::SS(elements);
          return item;
        };
        if (Write(*r, "sets", key, Mutation::Kind::kUpdate, next,
                  {conflict::AttributeOp::SetAdd("s", AttributeValue::SS({element}))})) {
          added_[key].insert(element);
        }
        break;
      }
      case 2: {  // set DELETE of an element visible here
        const std::string key = "s" + std::to_string(Uniform(0, 2));
        auto item = Read(*r, "sets", key);
        if (!item || !item->count("s")) break;
        const auto& elements = item->at("s").ss();
        const std::string element = elements[Uniform(0, elements.size() - 1)];
        auto next = [&](const Item* cur) {
          Item out = cur ? *cur : Item{{"pk", AttributeValue::S(key)}};
          std::vector<std::string> rest;
          if (auto it = out.find("s"); it != out.end()) {
            for (const auto& e : it->second.ss()) {
              if (e != element) rest.push_back(e);
            }
          }
          if (rest.empty()) {
            out.erase("s");
          } else {
            out["s"] = AttributeValue::SS(rest);
          }
          return out;
        };
        if (Write(*r, "sets", key, Mutation::Kind::kUpdate, next,
                  {conflict::AttributeOp::SetRemove("s", AttributeValue::SS({element}))})) {
          deleted_.insert(element);
        }
        break;
      }
      case 3: {  // LWW register
        const std::string key = "r" + std::to_string(Uniform(0, 4));
        const std::string value = "v" + std::to_string(next_id_++);
        auto next = [&](const Item*) {
          return Item{{"pk", AttributeValue::S(key)}, {"v", AttributeValue::S(value)}};
        };
        if (Write(*r, "regs", key, Mutation::Kind::kPut, next, {})) written_[key].insert(value);
        break;
      }
      case 4: {  // causal chain, first link: x<i> at some region
        const int i = static_cast<int>(xs_.size());
        const std::string key = "x" + std::to_string(i);
        auto next = [&](const Item*) { return Item{{"pk", AttributeValue::S(key)}}; };
        if (Write(*r, "causal", key, Mutation::Kind::kPut, next, {})) xs_.push_back(i);
        break;
      }
      default: {  // second link: a region that sees x<i> writes y<i>
        if (xs_.empty()) break;
        const int i = xs_[Uniform(0, xs_.size() - 1)];
        if (ys_.count(i) || !Read(*r, "causal", "x" + std::to_string(i))) break;
        const std::string key = "y" + std::to_string(i);
        auto next = [&](const Item*) { return Item{{"pk", AttributeValue::S(key)}}; };
        if (Write(*r, "causal", key, Mutation::Kind::kPut, next, {})) ys_.insert(i);
        break;
      }
    }
  }

  void Fault() {
    const size_t n = regions_.size();
    switch (Uniform(0, 4)) {
      case 0:
      case 1: {  // cut a link
        const size_t a = Uniform(0, n - 1), b = (a + 1 + Uniform(0, n - 2)) % n;
        net_.SetLink(regions_[a]->name, regions_[b]->name, false);
        ++result_.partitions;
        break;
      }
      case 2: {  // heal a link, or everything
        if (Coin(0.3)) {
          net_.HealAll();
        } else {
          const size_t a = Uniform(0, n - 1), b = (a + 1 + Uniform(0, n - 2)) % n;
          net_.SetLink(regions_[a]->name, regions_[b]->name, true);
        }
        break;
      }
      case 3: {  // crash a region (at least one stays up)
        Region* r = RandomUp();
        int up = 0;
        for (auto& x : regions_) up += x->up();
        if (r && up > 1) {
          Crash(*r);
          ++result_.crashes;
        }
        break;
      }
      default: {  // restart a crashed region
        for (auto& r : regions_) {
          if (!r->up()) {
            if (!Start(*r)) Fail("region " + r->name + " did not restart");
            break;
          }
        }
      }
    }
  }

  void CheckCausal(Region& r) {
    if (!r.up()) return;
    for (const int i : ys_) {
      if (Read(r, "causal", "y" + std::to_string(i)) &&
          !Read(r, "causal", "x" + std::to_string(i))) {
        Fail("causal violation: " + r.name + " shows y" + std::to_string(i) + " without x" +
             std::to_string(i));
        return;
      }
    }
  }

  void CheckFinal() {
    Region& r = *regions_[0];
    for (const auto& [key, sum] : counters_) {
      auto item = Read(r, "counters", key);
      const std::string got = item && item->count("n") ? item->at("n").n().ToString() : "0";
      if (got != sum.ToString())
        Fail("counter " + key + " = " + got + ", acknowledged increments sum to " + sum.ToString());
    }
    for (const auto& [key, elements] : added_) {
      auto item = Read(r, "sets", key);
      std::set<std::string> have;
      if (item && item->count("s"))
        have.insert(item->at("s").ss().begin(), item->at("s").ss().end());
      for (const auto& e : elements) {
        if (!deleted_.count(e) && !have.count(e))
          Fail("set " + key + " lost acknowledged element " + e);
        if (deleted_.count(e) && have.count(e)) Fail("set " + key + " kept deleted element " + e);
      }
    }
    for (const auto& [key, values] : written_) {
      auto item = Read(r, "regs", key);
      if (!item || !values.count(item->at("v").s()))
        Fail("register " + key + " holds a value never written");
    }
    for (const int i : xs_) {
      if (!Read(r, "causal", "x" + std::to_string(i)))
        Fail("lost acknowledged x" + std::to_string(i));
    }
    for (auto& region : regions_) CheckCausal(*region);
    XXH3_state_t* state = XXH3_createState();
    XXH3_64bits_reset(state);
    for (auto& region : regions_) {
      for (const std::string& t : region->store->ListTableNames()) {
        const uint64_t d = region->store->Digest(**region->store->GetTable(t))->hash;
        XXH3_64bits_update(state, &d, sizeof d);
      }
      const std::string v = region->store->AppliedVector().EncodeCompact();
      XXH3_64bits_update(state, v.data(), v.size());
    }
    result_.state_hash = XXH3_64bits_digest(state);
    XXH3_freeState(state);
  }

  SimOptions o_;
  std::mt19937_64 rng_;
  int64_t now_ = 0;
  SimNetwork net_;
  std::vector<std::unique_ptr<Region>> regions_;
  std::vector<std::unique_ptr<Workload>> workloads_;
  SimResult result_;
  uint64_t next_id_ = 0;
  std::map<std::string, Number> counters_;
  std::map<std::string, std::set<std::string>> added_;
  std::set<std::string> deleted_;
  std::map<std::string, std::set<std::string>> written_;
  std::vector<int> xs_;
  std::set<int> ys_;
};

}  // namespace

SimResult RunSimulation(const SimOptions& options) {
  SimOptions o = options;
  if (o.dir.empty()) {
    o.dir = (std::filesystem::temp_directory_path() /
             ("meridian-sim-" + std::to_string(::getpid()) + "-" + std::to_string(o.seed)))
                .string();
  }
  std::filesystem::remove_all(o.dir);
  SimResult result;
  {
    Simulation sim(o);
    result = sim.Run();
  }
  std::filesystem::remove_all(o.dir);
  return result;
}

}  // namespace meridian::sim
