// How far long-running work has got: replica backfills, re-bootstraps, anti-entropy repairs,
// index backfills. The work reports items done (and the total when known) through a Task;
// the operator status API (/tablez) and meridianctl show the board: done / total, rate and
// an ETA. The board keeps the running tasks and the last kKeepFinished finished ones.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "common/mutex.h"

namespace meridian {

struct ProgressSnapshot {
  uint64_t id = 0;
  std::string kind;  // "replica backfill", "re-bootstrap", "anti-entropy", "index backfill"
  std::string table;
  std::string detail;  // e.g. the source region, the index
  std::string unit;    // what is counted: "items", "ranges"
  uint64_t done = 0;
  uint64_t total = 0;  // 0: not known
  int64_t started_ms = 0;
  int64_t updated_ms = 0;
  bool finished = false;
  double rate_per_s = 0;  // done per second since the start
  double eta_s = -1;      // seconds left at that rate; -1: unknown (no total or no rate yet)
};

class ProgressBoard {
 public:
  static constexpr size_t kKeepFinished = 16;

  // One piece of work; finished when destroyed. Thread-compatible (one owner).
  class Task {
   public:
    Task(Task&&) = default;
    Task& operator=(Task&&) = default;
    ~Task();
    void Advance(uint64_t n);
    void SetTotal(uint64_t total);

   private:
    friend class ProgressBoard;
    Task(ProgressBoard* board, uint64_t id) : board_(board), id_(id) {}
    struct Done {
      void operator()(ProgressBoard* board) const;
      uint64_t id;
    };
    ProgressBoard* board_;
    uint64_t id_;
    std::unique_ptr<ProgressBoard, Done> finish_{board_, Done{id_}};
  };

  Task Start(std::string kind, std::string table, std::string detail, std::string unit,
             uint64_t total = 0) EXCLUDES(mu_);
  // Running tasks first (oldest first), then the finished ones (newest first).
  std::vector<ProgressSnapshot> Snapshot() const EXCLUDES(mu_);

 private:
  void Update(uint64_t id, uint64_t advance, const uint64_t* total, bool finish) EXCLUDES(mu_);

  mutable Mutex mu_;
  uint64_t next_id_ GUARDED_BY(mu_) = 1;
  std::vector<ProgressSnapshot> running_ GUARDED_BY(mu_);
  std::deque<ProgressSnapshot> finished_ GUARDED_BY(mu_);
};

}  // namespace meridian
