#include "daemon/api/capacity_limiter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <sstream>
#include <thread>

#include "daemon/api/api_error.h"
#include "store/store.h"

namespace meridian::api {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kAutoscalingTag = "meridian:autoscaling";

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

ApiError TableExceeded() {
  return ApiError::Service(
      "ProvisionedThroughputExceededException",
      "The level of configured provisioned throughput for the table was exceeded. Consider "
      "increasing your provisioning level with the UpdateTable API.");
}

ApiError IndexesExceeded() {
  return ApiError::Service(
      "ProvisionedThroughputExceededException",
      "The level of configured provisioned throughput for one or more global secondary indexes "
      "of the table was exceeded. Consider increasing your provisioning level for the "
      "under-provisioned global secondary indexes with the UpdateTable API");
}

ApiError OnDemandExceeded() {
  return ApiError("com.amazon.coral.availability#ThrottlingException", 400,
                  "Throughput exceeds the maximum OnDemandThroughput configured on table or index");
}

ApiError AccountExceeded() {
  return ApiError::Service(
      "RequestLimitExceeded",
      "Throughput exceeds the current throughput limit for your account. Please contact AWS "
      "Support at https://aws.amazon.com/support request a limit increase");
}

std::string UtcText(uint64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%A, %B %d, %Y at %H:%M:%S Coordinated Universal Time", &tm);
  return buf;
}

}  // namespace

// A token bucket of `rate` units/s holding at most rate * burst_seconds.
struct CapacityLimiter::Bucket {
  double rate = 0;
  double tokens = 0;
  Clock::time_point last{};

  void Refill(double new_rate, double burst_seconds, Clock::time_point now) {
    const double cap = new_rate * burst_seconds;
    if (last == Clock::time_point{}) {
      tokens = cap;  // a new table starts with its burst available
    } else {
      tokens = std::min(cap, tokens + new_rate * Seconds(last, now));
    }
    rate = new_rate;
    last = now;
  }
  bool InDebt() const { return tokens <= 0; }
};

struct CapacityLimiter::Impl {
  CapacityLimits limits;
  std::mutex mu;
  // "table\0index\0r|w" -> bucket; the account's buckets under "\0r" / "\0w".
  std::map<std::string, Bucket> buckets;
  std::map<std::string, double> replicated_debt;  // table -> units not yet charged
  std::map<std::string, std::pair<double, double>>
      consumed;  // table -> (read, write) since scaling
  Clock::time_point consumed_since = Clock::now();
  std::atomic<bool> active{false};  // any bucket or account limit: Charge has work
  Stats stats;

  std::mutex thread_mu;
  std::condition_variable thread_cv;
  bool stop = false;
  std::thread thread;

  static std::string Key(const std::string& table, const std::string& index, bool write) {
    std::string key = table;
    key += '\0';
    key += index;
    key += '\0';
    key += write ? 'w' : 'r';
    return key;
  }
  Bucket& At(const std::string& key, double rate, Clock::time_point now) {
    Bucket& b = buckets[key];
    b.Refill(rate, limits.burst_seconds, now);
    active = true;
    return b;
  }
};

CapacityLimiter::CapacityLimiter(CapacityLimits limits) : impl_(std::make_unique<Impl>()) {
  impl_->limits = limits;
  impl_->active = limits.account_read > 0 || limits.account_write > 0;
}

CapacityLimiter::~CapacityLimiter() { Stop(); }

void CapacityLimiter::Admit(const store::TableInfo& table, const store::IndexInfo* index,
                            bool write) {
  const CapacityLimits& l = impl_->limits;
  const bool provisioned = table.billing_mode == store::BillingMode::kProvisioned;
  const bool on_demand_limited = write ? l.on_demand_table_write > 0 : l.on_demand_table_read > 0;
  const bool account = write ? l.account_write > 0 : l.account_read > 0;
  if (!provisioned && !on_demand_limited && !account) return;
  const auto now = Clock::now();
  std::lock_guard lock(impl_->mu);
  if (account) {
    std::string key(1, '\0');
    key += write ? 'w' : 'r';
    if (impl_->At(key, write ? l.account_write : l.account_read, now).InDebt())
      throw AccountExceeded();
  }
  if (auto debt = impl_->replicated_debt.find(table.name); debt != impl_->replicated_debt.end()) {
    if (provisioned || l.on_demand_table_write > 0) {
      impl_
          ->At(Impl::Key(table.name, "", true),
               provisioned ? static_cast<double>(table.write_capacity) : l.on_demand_table_write,
               now)
          .tokens -= debt->second;
    }
    impl_->replicated_debt.erase(debt);
  }
  if (!provisioned) {
    if (!on_demand_limited) return;
    const double rate = write ? l.on_demand_table_write : l.on_demand_table_read;
    if (impl_->At(Impl::Key(table.name, index ? index->name : "", write), rate, now).InDebt())
      throw OnDemandExceeded();
    return;
  }
  if (index && !index->local) {
    const double rate = static_cast<double>(write ? index->write_capacity : index->read_capacity);
    if (impl_->At(Impl::Key(table.name, index->name, write), rate, now).InDebt())
      throw TableExceeded();
    return;
  }
  const double rate = static_cast<double>(write ? table.write_capacity : table.read_capacity);
  if (impl_->At(Impl::Key(table.name, "", write), rate, now).InDebt()) throw TableExceeded();
  if (!write) return;
  for (const auto& gsi : table.indexes) {
    if (gsi.local) continue;
    if (impl_
            ->At(Impl::Key(table.name, gsi.name, true), static_cast<double>(gsi.write_capacity),
                 now)
            .InDebt())
      throw IndexesExceeded();
  }
}

void CapacityLimiter::Charge(const std::vector<CapacityCharge>& charges) {
  if (charges.empty()) return;
  std::lock_guard lock(impl_->mu);
  for (const auto& c : charges) {
    if (c.index.empty()) {
      auto& consumed = impl_->consumed[c.table];
      consumed.first += c.read;
      consumed.second += c.write;
    }
    if (!impl_->active) continue;
    for (const bool write : {false, true}) {
      const double units = write ? c.write : c.read;
      if (units <= 0) continue;
      if (auto it = impl_->buckets.find(Impl::Key(c.table, c.index, write));
          it != impl_->buckets.end()) {
        it->second.tokens -= units;
      }
      std::string account(1, '\0');
      account += write ? 'w' : 'r';
      if (auto it = impl_->buckets.find(account); it != impl_->buckets.end())
        it->second.tokens -= units;
    }
  }
}

void CapacityLimiter::ChargeReplicated(const std::map<std::string, double>& write_units) {
  if (write_units.empty()) return;
  std::lock_guard lock(impl_->mu);
  for (const auto& [table, units] : write_units) {
    impl_->replicated_debt[table] += units;
    impl_->consumed[table].second += units;
    impl_->stats.replicated_write_units += static_cast<uint64_t>(units);
  }
}

CapacityLimiter::Stats CapacityLimiter::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

std::optional<AutoscalingPolicy> ParseAutoscalingTag(const std::string& value) {
  AutoscalingPolicy p;
  std::string spaced = value;  // tag values cannot hold commas: spaces (or ,;) separate
  std::replace_if(
      spaced.begin(), spaced.end(), [](char c) { return c == ',' || c == ';'; }, ' ');
  std::stringstream in(spaced);
  std::string part;
  while (in >> part) {
    const auto eq = part.find('=');
    if (eq == std::string::npos) return std::nullopt;
    const std::string name = part.substr(0, eq);
    double v = 0;
    try {
      v = std::stod(part.substr(eq + 1));
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (v < 1) return std::nullopt;
    const auto n = static_cast<uint64_t>(v);
    if (name == "target") {
      if (v < 20 || v > 90) return std::nullopt;
      p.target = v;
    } else if (name == "min") {
      p.read_min = p.write_min = n;
    } else if (name == "max") {
      p.read_max = p.write_max = n;
    } else if (name == "read_min") {
      p.read_min = n;
    } else if (name == "read_max") {
      p.read_max = n;
    } else if (name == "write_min") {
      p.write_min = n;
    } else if (name == "write_max") {
      p.write_max = n;
    } else {
      return std::nullopt;
    }
  }
  if (p.read_min > p.read_max || p.write_min > p.write_max) return std::nullopt;
  return p;
}

void RecordThroughputChange(store::ThroughputChanges* changes, uint64_t read, uint64_t write,
                            uint64_t new_read, uint64_t new_write, uint64_t now_ms,
                            const std::string& what) {
  if (new_read > read || new_write > write) changes->last_increase_ms = now_ms;
  if (new_read >= read && new_write >= write) return;
  const uint32_t today = changes->DecreasesOn(now_ms);
  constexpr uint64_t kHourMs = 3'600'000;
  if (today >= 4 && now_ms < changes->last_decrease_ms + kHourMs) {
    throw ApiError::LimitExceeded(
        "Subscriber limit exceeded: Provisioned throughput decreases are limited within a given "
        "UTC day. After the first 4 decreases, each subsequent decrease in the same UTC day can "
        "be performed at most once every 3600 seconds. Number of decreases today: " +
        std::to_string(today) + ". Last decrease at " + UtcText(changes->last_decrease_ms) +
        ". Next decrease can be made at " + UtcText(changes->last_decrease_ms + kHourMs) + " (" +
        what + ")");
  }
  changes->last_decrease_ms = now_ms;
  changes->decreases_today = today + 1;
}

uint64_t NowMillis() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

boost::json::object DescribeThroughput(uint64_t read, uint64_t write,
                                       const store::ThroughputChanges& changes) {
  boost::json::object out{{"NumberOfDecreasesToday", changes.DecreasesOn(NowMillis())},
                          {"ReadCapacityUnits", read},
                          {"WriteCapacityUnits", write}};
  if (changes.last_increase_ms)
    out["LastIncreaseDateTime"] = static_cast<double>(changes.last_increase_ms) / 1000.0;
  if (changes.last_decrease_ms)
    out["LastDecreaseDateTime"] = static_cast<double>(changes.last_decrease_ms) / 1000.0;
  return out;
}

void CapacityLimiter::Autoscale(store::Store* store,
                                const std::function<bool(const store::TableInfo&)>& scales) {
  std::map<std::string, std::pair<double, double>> consumed;
  double seconds = 0;
  {
    std::lock_guard lock(impl_->mu);
    const auto now = Clock::now();
    seconds = Seconds(impl_->consumed_since, now);
    impl_->consumed_since = now;
    consumed.swap(impl_->consumed);
  }
  if (seconds <= 0) return;
  for (const auto& name : store->ListTableNames()) {
    auto found = store->GetTable(name);
    if (!found.ok()) continue;
    const std::shared_ptr<const store::TableInfo> info = *found;
    if (info->billing_mode != store::BillingMode::kProvisioned || !scales(*info)) continue;
    std::optional<AutoscalingPolicy> policy;
    for (const auto& [key, value] : info->tags) {
      if (key == kAutoscalingTag) policy = ParseAutoscalingTag(value);
    }
    if (!policy) continue;
    const auto used = consumed[info->name];
    // The rate that puts the measured consumption at the target utilisation; decreases only
    // when it is well below (20 %), so the rate does not flap.
    auto desired = [&](double units, uint64_t current, uint64_t lo, uint64_t hi) {
      const double per_s = units / seconds;
      auto want = static_cast<uint64_t>(std::ceil(per_s * 100.0 / policy->target));
      want = std::clamp<uint64_t>(want, lo, hi);
      if (want<current&& static_cast<double>(want)> 0.8 * static_cast<double>(current))
        return current;
      return want;
    };
    const uint64_t read =
        desired(used.first, info->read_capacity, policy->read_min, policy->read_max);
    const uint64_t write =
        desired(used.second, info->write_capacity, policy->write_min, policy->write_max);
    if (read == info->read_capacity && write == info->write_capacity) continue;
    const uint64_t now_ms = NowMillis();
    auto updated = store->UpdateTable(info->name, [&](store::TableInfo* t) -> Status {
      try {
        RecordThroughputChange(&t->throughput, t->read_capacity, t->write_capacity, read, write,
                               now_ms, "table");
      } catch (const ApiError& e) {
        return Status::LimitExceeded(e.message);
      }
      t->read_capacity = read;
      t->write_capacity = write;
      return Status::Ok();
    });
    if (!updated.ok()) {
      spdlog::info("msg=\"autoscaling skipped\" table={} reason=\"{}\"", info->name,
                   updated.status().message());
      continue;
    }
    spdlog::info(
        "msg=\"autoscaling\" table={} read={}->{} write={}->{} consumed_read_per_s={:.1f} "
        "consumed_write_per_s={:.1f} target={}",
        info->name, info->read_capacity, read, info->write_capacity, write, used.first / seconds,
        used.second / seconds, policy->target);
    std::lock_guard lock(impl_->mu);
    if (read > info->read_capacity || write > info->write_capacity)
      ++impl_->stats.autoscale_increases;
    if (read < info->read_capacity || write < info->write_capacity)
      ++impl_->stats.autoscale_decreases;
  }
}

void CapacityLimiter::Start(store::Store* store,
                            std::function<bool(const store::TableInfo&)> scales) {
  impl_->thread = std::thread([this, store, scales = std::move(scales)] {
    auto next_scale = Clock::now() + std::chrono::seconds(impl_->limits.autoscale_interval_s);
    std::unique_lock lock(impl_->thread_mu);
    while (!impl_->stop) {
      impl_->thread_cv.wait_for(lock, std::chrono::seconds(1));
      if (impl_->stop) break;
      lock.unlock();
      ChargeReplicated(store->TakeReplicatedWriteUnits());
      if (Clock::now() >= next_scale) {
        Autoscale(store, scales);
        next_scale = Clock::now() + std::chrono::seconds(impl_->limits.autoscale_interval_s);
      }
      lock.lock();
    }
  });
}

void CapacityLimiter::Stop() {
  {
    std::lock_guard lock(impl_->thread_mu);
    impl_->stop = true;
  }
  impl_->thread_cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

// ---- admission scope ----------------------------------------------------------------------

namespace {
thread_local CapacityLimiter* scope_limiter = nullptr;
thread_local AccessKind scope_kind = AccessKind::kNone;
}  // namespace

AdmissionScope::AdmissionScope(CapacityLimiter* limiter, AccessKind kind)
    : saved_limiter_(scope_limiter), saved_kind_(scope_kind) {
  scope_limiter = limiter;
  scope_kind = kind;
}

AdmissionScope::AdmissionScope(AccessKind kind) : AdmissionScope(scope_limiter, kind) {}

AdmissionScope::~AdmissionScope() {
  scope_limiter = saved_limiter_;
  scope_kind = saved_kind_;
}

void AdmitTable(const store::TableInfo& table) {
  if (!scope_limiter || (scope_kind != AccessKind::kRead && scope_kind != AccessKind::kWrite))
    return;
  scope_limiter->Admit(table, nullptr, scope_kind == AccessKind::kWrite);
}

void AdmitRead(const store::TableInfo& table, const store::IndexInfo* index) {
  if (!scope_limiter || scope_kind == AccessKind::kNone || scope_kind == AccessKind::kWrite) return;
  scope_limiter->Admit(table, index, false);
}

}  // namespace meridian::api
