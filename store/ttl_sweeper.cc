#include "store/ttl_sweeper.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <vector>

#include "conflict/hlc.h"
#include "store/store.h"

namespace meridian::store {

namespace {

constexpr uint64_t kFiveYearsS = uint64_t{5} * 365 * 24 * 3600;
// Items examined per table and sweep: a large table is swept over several intervals rather
// than decoded whole every interval.
constexpr size_t kMaxScanPerSweep = 50'000;

struct ExpiredKey {
  model::AttributeValue pk;
  std::optional<model::AttributeValue> sk;
};

}  // namespace

bool TtlExpired(const model::Item& item, const std::string& attribute, uint64_t now_s) {
  auto it = item.find(attribute);
  if (it == item.end() || it->second.type() != model::AttrType::kN) return false;
  const std::string text = it->second.n().ToString();
  char* end = nullptr;
  const double at = std::strtod(text.c_str(), &end);
  if (end == text.c_str()) return false;
  const double now = static_cast<double>(now_s);
  return at <= now && at >= now - static_cast<double>(kFiveYearsS);
}

TtlSweeper::TtlSweeper(Store* store, TtlSweeperOptions options) : store_(store), options_(options) {
  if (!options_.clock) options_.clock = conflict::SystemClock();
  if (options_.interval_ms == 0) options_.interval_ms = 1;
}

TtlSweeper::~TtlSweeper() { Stop(); }

void TtlSweeper::Start() {
  MutexLock lock(&mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void TtlSweeper::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void TtlSweeper::Run() {
  for (;;) {
    auto swept = SweepOnce();
    if (!swept.ok())
      spdlog::warn("msg=\"ttl sweep failed\" error=\"{}\"", swept.status().message());
    Status trimmed = store_->TrimStreams();
    if (!trimmed.ok()) spdlog::warn("msg=\"stream trim failed\" error=\"{}\"", trimmed.message());
    MutexLock lock(&mu_);
    const auto deadline = DeadlineAfter(std::chrono::milliseconds(options_.interval_ms));
    while (!stop_ && cv_.WaitUntil(mu_, deadline)) {
    }
    if (stop_) return;
  }
}

Result<size_t> TtlSweeper::SweepOnce() {
  // The budget of one interval at the configured rate (at least one delete).
  size_t budget = static_cast<size_t>(
      std::max<uint64_t>(1, options_.max_deletes_per_s * options_.interval_ms / 1000));
  size_t deleted = 0;
  for (const std::string& name : store_->ListTableNames()) {
    auto table = store_->GetTable(name);
    if (!table.ok() || !(*table)->ttl_enabled || store_->Backfilling(name)) {
      resume_.erase(name);
      continue;
    }
    auto n = SweepTable(**table, budget - deleted, &resume_[name]);
    if (!n.ok()) return n.status();
    deleted += *n;
    if (deleted >= budget) break;
  }
  deleted_total_ += deleted;
  return deleted;
}

Result<size_t> TtlSweeper::SweepTable(const TableInfo& table, size_t budget,
                                      std::optional<model::Item>* resume) {
  const uint64_t now_s = options_.clock->NowMillis() / 1000;
  std::vector<ExpiredKey> expired;
  RangeQuery scan;
  scan.exclusive_start = *resume;
  std::optional<model::Item> last_key;
  bool full = false;
  size_t scanned = 0;
  Status s = store_->Range(table, scan, [&](const model::Item& item) {
    if (expired.size() >= budget || scanned >= kMaxScanPerSweep) {
      full = true;
      return false;
    }
    ++scanned;
    model::Item key;
    key.emplace(table.partition_key.name, item.at(table.partition_key.name));
    if (table.sort_key) key.emplace(table.sort_key->name, item.at(table.sort_key->name));
    if (TtlExpired(item, table.ttl_attribute, now_s)) {
      ExpiredKey k{item.at(table.partition_key.name), std::nullopt};
      if (table.sort_key) k.sk = item.at(table.sort_key->name);
      expired.push_back(std::move(k));
    }
    last_key = std::move(key);
    return true;
  });
  if (!s.ok()) return s;
  // Not done with the table: continue after the last key examined; done: from the start.
  *resume = full ? last_key : std::nullopt;

  const auto pause =
      std::chrono::microseconds(1'000'000 / std::max<uint64_t>(1, options_.max_deletes_per_s));
  size_t deleted = 0;
  uint64_t last_seq = 0;
  for (const ExpiredKey& key : expired) {
    {
      MutexLock lock(&mu_);
      if (stop_) break;
    }
    const std::string attribute = table.ttl_attribute;
    // Expired still (a write since the scan may have extended it): delete as the TTL service.
    auto written = store_->WriteItem(
        table, key.pk, key.sk ? &*key.sk : nullptr,
        [&](const model::Item* current) -> Result<Mutation> {
          if (!current || !TtlExpired(*current, attribute, now_s)) return Mutation();
          return Mutation::Expire();
        },
        CommitMode::kDeferred);
    if (!written.ok()) return written.status();
    if (written->seq != 0) {
      ++deleted;
      last_seq = written->seq;
    }
    std::this_thread::sleep_for(pause);
  }
  if (last_seq != 0) store_->CommitPending();
  return deleted;
}

}  // namespace meridian::store
