#include "daemon/trigger.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <optional>

#include "common/thread_name.h"
#include "daemon/api/stream_format.h"
#include "store/store.h"

namespace meridian::daemon {

namespace json = boost::json;

namespace {

constexpr uint64_t kPollMs = 50;
constexpr uint64_t kMaxBackoffMs = 30'000;
constexpr size_t kMaxEventBytes = 5 << 20;  // Lambda's payload limit is 6 MB

std::string EncodeCheckpoint(uint64_t label_ms, uint64_t seq) {
  return std::to_string(label_ms) + ":" + std::to_string(seq);
}

bool DecodeCheckpoint(const std::string& text, uint64_t* label_ms, uint64_t* seq) {
  unsigned long long label = 0, s = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%llu:%llu%c", &label, &s, &tail) != 2) return false;
  *label_ms = label;
  *seq = s;
  return true;
}

Status AppendDeadLetter(const std::string& path, const std::string& line) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return Status::IOError("dead letter " + path + ": cannot open");
  const bool ok = std::fwrite(line.data(), 1, line.size(), f) == line.size() &&
                  std::fputc('\n', f) != EOF && std::fflush(f) == 0 && fsync(fileno(f)) == 0;
  std::fclose(f);
  return ok ? Status::Ok() : Status::IOError("dead letter " + path + ": write failed");
}

}  // namespace

Trigger::Trigger(store::Store* store, TriggerConfig config, std::string region, std::string account)
    : store_(store),
      config_(std::move(config)),
      region_(std::move(region)),
      account_(std::move(account)) {}

Trigger::~Trigger() { Stop(); }

void Trigger::Start() {
  MutexLock lock(&mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    SetThreadName("trigger");
    Run();
  });
}

void Trigger::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

bool Trigger::Pause(uint64_t ms) {
  MutexLock lock(&mu_);
  const auto deadline = DeadlineAfter(std::chrono::milliseconds(ms));
  while (!stop_ && cv_.WaitUntil(mu_, deadline)) {
  }
  return !stop_;
}

Status Trigger::SaveCheckpoint(const Checkpoint& at) {
  return store_->WriteMarker("trigger/" + config_.name, EncodeCheckpoint(at.label_ms, at.seq));
}

void Trigger::Run() {
  Checkpoint at;
  auto saved = store_->ReadMarker("trigger/" + config_.name);
  if (saved.ok() && *saved && !DecodeCheckpoint(**saved, &at.label_ms, &at.seq)) {
    spdlog::warn("msg=\"trigger checkpoint unreadable, starting over\" trigger={}", config_.name);
    at = Checkpoint{};
  }
  for (;;) {
    auto stepped = Step(&at);
    if (!stepped.ok()) {
      spdlog::warn("msg=\"trigger failed\" trigger={} error=\"{}\"", config_.name,
                   stepped.status().message());
      if (!Pause(1000)) return;
    } else if (!*stepped && !Pause(kPollMs)) {
      return;
    }
    MutexLock lock(&mu_);
    if (stop_) return;
  }
}

Result<bool> Trigger::Step(Checkpoint* at) {
  auto table = store_->GetTable(config_.table);
  if (!table.ok() || !(*table)->stream.enabled) return false;  // waits for the stream
  const uint64_t label = (*table)->stream.label_ms;
  auto stream = store_->FindStream(config_.table, label);
  if (!stream) return false;
  if (at->label_ms != label) {
    // A stream not followed yet: from its start, or from now on (LATEST, first start only).
    const bool latest = at->label_ms == 0 && config_.starting_position == "LATEST";
    *at = Checkpoint{label, latest ? store_->LastStreamSeq() : 0};
    MERIDIAN_RETURN_IF_ERROR(SaveCheckpoint(*at));
  }
  const uint64_t from = std::max(at->seq + 1, stream->trimmed_before);
  if (at->seq != 0 && from > at->seq + 1) {
    spdlog::warn("msg=\"trigger lost records to stream retention\" trigger={} from={} to={}",
                 config_.name, at->seq + 1, from - 1);
  }
  std::vector<store::StreamRecord> records;
  MERIDIAN_RETURN_IF_ERROR(store_->ReadStream(*stream, from, UINT64_MAX,
                                              static_cast<size_t>(config_.batch_size),
                                              kMaxEventBytes, &records));
  if (records.empty()) {
    batch_started_.reset();
    return false;
  }
  // The batch window: wait for a full batch, up to batch_window_ms after the first record.
  if (records.size() < static_cast<size_t>(config_.batch_size) && config_.batch_window_ms > 0) {
    const auto now = std::chrono::steady_clock::now();
    if (!batch_started_) batch_started_ = now;
    if (now - *batch_started_ < std::chrono::milliseconds(config_.batch_window_ms)) return false;
  }
  batch_started_.reset();
  const std::string arn = api::StreamArn(region_, account_, config_.table, label);
  json::array list;
  list.reserve(records.size());
  api::RecordContext rc{&*stream, region_, arn, /*lambda=*/true};
  for (const auto& r : records) list.push_back(api::RecordJson(r, rc));
  const std::string event = json::serialize(json::object{{"Records", std::move(list)}});
  if (!DeliverWithRetries(event, records.front().seq, records.back().seq)) return true;
  delivered_ += records.size();
  at->seq = records.back().seq;
  MERIDIAN_RETURN_IF_ERROR(SaveCheckpoint(*at));
  return true;
}

bool Trigger::DeliverWithRetries(const std::string& event, uint64_t first_seq, uint64_t last_seq) {
  uint64_t backoff = static_cast<uint64_t>(config_.retry_backoff_ms);
  Status last;
  for (int attempt = 0; attempt <= config_.max_retries; ++attempt) {
    if (attempt > 0) {
      if (!Pause(backoff)) return false;  // stopping: redelivered after the restart
      backoff = std::min(kMaxBackoffMs, std::max<uint64_t>(1, backoff * 2));
    }
    last = DeliverEvent(config_, event);
    if (last.ok()) return true;
    spdlog::warn("msg=\"trigger delivery failed\" trigger={} attempt={} error=\"{}\"", config_.name,
                 attempt + 1, last.message());
  }
  ++dead_lettered_;
  if (config_.dead_letter.empty()) {
    spdlog::error("msg=\"trigger batch dropped\" trigger={} first_seq={} last_seq={}", config_.name,
                  first_seq, last_seq);
    return true;
  }
  json::object letter{{"trigger", config_.name},
                      {"error", last.message()},
                      {"firstSequenceNumber", api::SequenceNumber(first_seq)},
                      {"lastSequenceNumber", api::SequenceNumber(last_seq)},
                      {"event", json::parse(event)}};
  Status written = AppendDeadLetter(config_.dead_letter, json::serialize(letter));
  if (!written.ok()) {
    // Not recorded anywhere: keep the batch (retried after a pause) rather than lose it.
    spdlog::error("msg=\"trigger dead letter failed\" trigger={} error=\"{}\"", config_.name,
                  written.message());
    Pause(1000);
    return false;
  }
  return true;
}

}  // namespace meridian::daemon
