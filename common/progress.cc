#include "common/progress.h"

#include <algorithm>

#include "common/wall_clock.h"

namespace meridian {
namespace {

ProgressSnapshot WithRate(ProgressSnapshot s, int64_t now_ms) {
  const int64_t until = s.finished ? s.updated_ms : now_ms;
  const double seconds = static_cast<double>(until - s.started_ms) / 1000.0;
  if (seconds > 0) s.rate_per_s = static_cast<double>(s.done) / seconds;
  if (s.finished) {
    s.eta_s = 0;
  } else if (s.total > 0 && s.rate_per_s > 0) {
    s.eta_s = static_cast<double>(s.total > s.done ? s.total - s.done : 0) / s.rate_per_s;
  }
  return s;
}

}  // namespace

ProgressBoard::Task::~Task() = default;

void ProgressBoard::Task::Done::operator()(ProgressBoard* board) const {
  board->Update(id, 0, nullptr, true);
}

void ProgressBoard::Task::Advance(uint64_t n) {
  if (finish_) board_->Update(id_, n, nullptr, false);
}

void ProgressBoard::Task::SetTotal(uint64_t total) {
  if (finish_) board_->Update(id_, 0, &total, false);
}

ProgressBoard::Task ProgressBoard::Start(std::string kind, std::string table, std::string detail,
                                         std::string unit, uint64_t total) {
  MutexLock lock(&mu_);
  ProgressSnapshot s;
  s.id = next_id_++;
  s.kind = std::move(kind);
  s.table = std::move(table);
  s.detail = std::move(detail);
  s.unit = std::move(unit);
  s.total = total;
  s.started_ms = s.updated_ms = WallClockMillis();
  running_.push_back(s);
  return Task(this, s.id);
}

void ProgressBoard::Update(uint64_t id, uint64_t advance, const uint64_t* total, bool finish) {
  MutexLock lock(&mu_);
  auto it = std::find_if(running_.begin(), running_.end(),
                         [id](const ProgressSnapshot& s) { return s.id == id; });
  if (it == running_.end()) return;
  it->done += advance;
  if (total) it->total = *total;
  it->updated_ms = WallClockMillis();
  if (!finish) return;
  it->finished = true;
  finished_.push_front(std::move(*it));
  running_.erase(it);
  if (finished_.size() > kKeepFinished) finished_.pop_back();
}

std::vector<ProgressSnapshot> ProgressBoard::Snapshot() const {
  MutexLock lock(&mu_);
  const int64_t now = WallClockMillis();
  std::vector<ProgressSnapshot> out;
  for (const auto& s : running_) out.push_back(WithRate(s, now));
  for (const auto& s : finished_) out.push_back(WithRate(s, now));
  return out;
}

}  // namespace meridian
