#include "daemon/api/backup_service.h"

#include <fcntl.h>
#include <rocksdb/env.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "common/base64.h"
#include "store/store.h"

namespace meridian::api {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::string_view kItemsMagic = "MRDNBAK1";
constexpr size_t kChunkBytes = size_t{1} << 20;  // a restore merges this much at a time
constexpr size_t kMaxRecordBytes = size_t{64} << 20;

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

Status Fsync(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return Status::IOError("open " + path.string());
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Status::IOError("fsync " + path.string());
}

Status WriteFileSynced(const fs::path& path, std::string_view data) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) return Status::IOError("write " + path.string());
  }
  return Fsync(path);
}

Result<std::string> ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("no file " + path.string());
  std::ostringstream data;
  data << in.rdbuf();
  return data.str();
}

void PutU32(uint32_t v, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

// The item versions of a backup's items.bin: magic, then (u32 length, key suffix, u32
// length, version) records, little-endian lengths. Read and written through the store's Env:
// with encryption at rest on, the file is encrypted like the store's own files.
class BackupFileCursor final : public store::VersionCursor {
 public:
  BackupFileCursor(rocksdb::Env* env, const fs::path& path) {
    const rocksdb::Status s = env->NewSequentialFile(path.string(), &file_, rocksdb::EnvOptions());
    if (!s.ok()) {
      status_ = Status::IOError("backup: " + s.ToString());
      return;
    }
    std::string magic;
    if (!ReadExact(kItemsMagic.size(), &magic) || magic != kItemsMagic) {
      status_ = Status::Corruption("backup: bad items file " + path.string());
    }
  }
  bool Next(std::string_view* suffix, std::string_view* version) override {
    if (!status_.ok() || !ReadField(&suffix_, true) || !ReadField(&version_, false)) return false;
    *suffix = suffix_;
    *version = version_;
    return true;
  }
  Status status() const override { return status_; }

 private:
  // Reads n bytes; false at the end of the file (or on an error: status_).
  bool ReadExact(size_t n, std::string* out) {
    out->resize(n);
    size_t got = 0;
    while (got < n) {
      rocksdb::Slice result;
      const rocksdb::Status s = file_->Read(n - got, &result, out->data() + got);
      if (!s.ok()) {
        status_ = Status::IOError("backup: " + s.ToString());
        return false;
      }
      if (result.empty()) break;
      if (result.data() != out->data() + got)
        std::memmove(out->data() + got, result.data(), result.size());
      got += result.size();
    }
    if (got != 0 && got != n) status_ = Status::Corruption("backup: truncated");
    return got == n;
  }
  // `first`: the end of the file here is the end of the records.
  bool ReadField(std::string* out, bool first) {
    std::string len;
    if (!ReadExact(4, &len)) {
      if (!first && status_.ok()) status_ = Status::Corruption("backup: truncated");
      return false;
    }
    const uint32_t n = GetU32(len.data());
    if (n > kMaxRecordBytes) {
      status_ = Status::Corruption("backup: record too large");
      return false;
    }
    if (!ReadExact(n, out)) {
      if (status_.ok()) status_ = Status::Corruption("backup: truncated");
      return false;
    }
    return true;
  }
  std::unique_ptr<rocksdb::SequentialFile> file_;
  std::string suffix_, version_;
  Status status_;
};

json::object EncodeRecord(const BackupRecord& b) {
  return json::object{{"id", b.id},
                      {"name", b.name},
                      {"created_ms", b.created_ms},
                      {"size_bytes", b.size_bytes},
                      {"item_count", b.item_count},
                      {"table_size_bytes", b.table_size_bytes},
                      {"table", Base64Encode(store::EncodeTableInfo(b.table))}};
}

Result<BackupRecord> DecodeRecord(std::string_view text) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Status::Corruption("backup.json: not a JSON object");
  const json::object& o = v.get_object();
  try {
    BackupRecord b;
    b.id = json::value_to<std::string>(o.at("id"));
    b.name = json::value_to<std::string>(o.at("name"));
    b.created_ms = json::value_to<uint64_t>(o.at("created_ms"));
    b.size_bytes = json::value_to<uint64_t>(o.at("size_bytes"));
    b.item_count = json::value_to<uint64_t>(o.at("item_count"));
    b.table_size_bytes = json::value_to<uint64_t>(o.at("table_size_bytes"));
    std::string table;
    if (!Base64Decode(json::value_to<std::string>(o.at("table")), &table)) {
      return Status::Corruption("backup.json: bad table definition");
    }
    auto info = store::DecodeTableInfo(table);
    if (!info.ok()) return info.status();
    b.table = std::move(info).value();
    b.status = "AVAILABLE";
    return b;
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("backup.json: ") + e.what());
  }
}

uint64_t DirectorySize(const fs::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec)) total += entry.file_size(ec);
  }
  return total;
}

}  // namespace

std::string NewJobId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%013llu-%08x", static_cast<unsigned long long>(NowMs()),
                static_cast<unsigned>(rng()));
  return buf;
}

namespace {
int64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

CpuPacer::CpuPacer(double share)
    : share_(std::clamp(share, 0.01, 1.0)), last_cpu_ns_(ThreadCpuNs()) {}

void CpuPacer::Step() {
  if (share_ >= 1.0) return;
  const int64_t now = ThreadCpuNs();
  const auto used = static_cast<double>(now - last_cpu_ns_);
  std::this_thread::sleep_for(
      std::chrono::nanoseconds(static_cast<int64_t>(used * (1.0 - share_) / share_)));
  last_cpu_ns_ = ThreadCpuNs();
}

BackupService::BackupService(store::Store* store, BackupServiceOptions options)
    : store_(store), options_(std::move(options)) {}

BackupService::~BackupService() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    jobs_.clear();  // interrupted: as after a crash, cleaned up by the next Start
  }
  wake_.SignalAll();
  if (worker_.joinable()) worker_.join();
}

std::string BackupService::TableArn(std::string_view table) const {
  return "arn:aws:dynamodb:" + options_.region + ":" + options_.account_id + ":table/" +
         std::string(table);
}

std::string BackupService::BackupArn(const BackupRecord& backup) const {
  return TableArn(backup.table.name) + "/backup/" + backup.id;
}

Status BackupService::Start() {
  std::error_code ec;
  fs::create_directories(fs::path(options_.backup_dir) / "restores", ec);
  if (ec) return Status::IOError("backup_dir " + options_.backup_dir + ": " + ec.message());
  fs::create_directories(fs::path(options_.backup_dir) / "restored", ec);
  MERIDIAN_RETURN_IF_ERROR(LoadBackups());
  MERIDIAN_RETURN_IF_ERROR(DropInterruptedRestores());
  LoadRestored();
  worker_ = std::thread([this] { Run(); });
  return Status::Ok();
}

Status BackupService::LoadBackups() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.backup_dir, ec)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".partial") || name.ends_with(".deleted")) {
      spdlog::info("msg=\"dropping an unfinished backup directory\" path=\"{}\"",
                   entry.path().string());
      fs::remove_all(entry.path(), ec);
      continue;
    }
    auto text = ReadWholeFile(entry.path() / "backup.json");
    if (!text.ok()) continue;  // not a backup (restores/, exports/, ...)
    auto record = DecodeRecord(*text);
    if (!record.ok()) {
      spdlog::warn("msg=\"unreadable backup skipped\" path=\"{}\" error=\"{}\"",
                   entry.path().string(), record.status().ToString());
      continue;
    }
    const std::string id = record->id;
    MutexLock lock(&mu_);
    backups_[id] = std::move(record).value();
  }
  return Status::Ok();
}

// restored/<table>: the RestoreSummary of a finished restore (for the table of that id).
void BackupService::SaveRestored(const std::string& table, const RestoreRecord& r) const {
  const json::object o{{"source_backup_arn", r.source_backup_arn},
                       {"source_table_arn", r.source_table_arn},
                       {"restore_time_ms", r.restore_time_ms},
                       {"table_id", r.table_id}};
  const Status st =
      WriteFileSynced(fs::path(options_.backup_dir) / "restored" / table, json::serialize(o));
  if (!st.ok()) spdlog::warn("msg=\"restore summary not saved\" error=\"{}\"", st.ToString());
}

void BackupService::LoadRestored() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(options_.backup_dir) / "restored", ec)) {
    auto text = ReadWholeFile(entry.path());
    if (!text.ok()) continue;
    boost::system::error_code jec;
    const json::value v = json::parse(*text, jec);
    if (jec || !v.is_object()) continue;
    try {
      const json::object& o = v.get_object();
      RestoreRecord r;
      r.source_backup_arn = json::value_to<std::string>(o.at("source_backup_arn"));
      r.source_table_arn = json::value_to<std::string>(o.at("source_table_arn"));
      r.restore_time_ms = json::value_to<uint64_t>(o.at("restore_time_ms"));
      r.table_id = json::value_to<uint32_t>(o.at("table_id"));
      r.in_progress = false;
      MutexLock lock(&mu_);
      restores_[entry.path().filename().string()] = std::move(r);
    } catch (const std::exception&) {
      continue;  // not one of ours
    }
  }
}

void BackupService::SetImporting(std::string_view table, uint32_t table_id, bool importing) {
  MutexLock lock(&mu_);
  if (importing) {
    importing_[std::string(table)] = table_id;
  } else if (auto it = importing_.find(table); it != importing_.end() && it->second == table_id) {
    importing_.erase(it);
  }
}

bool BackupService::Importing(std::string_view table, uint32_t table_id) const {
  MutexLock lock(&mu_);
  auto it = importing_.find(table);
  return it != importing_.end() && it->second == table_id;
}

Status BackupService::WriteIntent(std::string_view table) const {
  const fs::path path = fs::path(options_.backup_dir) / "restores" / std::string(table);
  MERIDIAN_RETURN_IF_ERROR(WriteFileSynced(path, table));
  return Fsync(path.parent_path());
}

void BackupService::ClearIntent(std::string_view table) const {
  std::error_code ec;
  fs::remove(fs::path(options_.backup_dir) / "restores" / std::string(table), ec);
}

Status BackupService::DropInterruptedRestores() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(options_.backup_dir) / "restores", ec)) {
    const std::string table = entry.path().filename().string();
    if (store_->GetTable(table).ok()) {
      spdlog::warn("msg=\"dropping a table whose restore or import was interrupted\" table=\"{}\"",
                   table);
      auto deleted = store_->DeleteTable(table);
      if (!deleted.ok()) return deleted.status();
    }
    fs::remove(entry.path(), ec);
  }
  return Status::Ok();
}

void BackupService::Enqueue(std::function<void()> job) {
  {
    MutexLock lock(&mu_);
    jobs_.push_back(std::move(job));
  }
  wake_.Signal();
}

void BackupService::Run() {
  // PITR history beyond every table's window is dropped now and then (and soon after start).
  auto next_trim = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (true) {
    std::function<void()> job;
    {
      MutexLock lock(&mu_);
      while (!stopping_ && jobs_.empty() && std::chrono::steady_clock::now() < next_trim) {
        wake_.WaitUntil(mu_, next_trim);
      }
      if (stopping_) return;
      if (!jobs_.empty()) {
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
    }
    if (job) {
      job();
      continue;
    }
    next_trim = std::chrono::steady_clock::now() + std::chrono::hours(1);
    auto dropped = store_->TrimHistory();
    if (!dropped.ok()) {
      spdlog::warn("msg=\"PITR history trim failed\" error=\"{}\"", dropped.status().ToString());
    } else if (*dropped > 0) {
      spdlog::info("msg=\"PITR history trimmed\" versions_dropped={}", *dropped);
    }
  }
}

Result<BackupRecord> BackupService::CreateBackup(std::string_view table, std::string_view name) {
  auto info = store_->GetTable(table);
  if (!info.ok()) return info.status();
  {
    MutexLock lock(&mu_);
    auto restore = restores_.find(table);
    if (restore != restores_.end() && restore->second.in_progress) {
      return Status::ResourceInUse("Table is being restored: " + std::string(table));
    }
  }
  auto cursor = store_->OpenVersions(table);
  if (!cursor.ok()) return cursor.status();
  if (!*cursor) return Status::ResourceInUse("Table is being created: " + std::string(table));
  const store::TableStats stats = store_->GetTableStats((*info)->table_id);
  BackupRecord record;
  record.id = NewJobId();
  record.name = std::string(name);
  record.status = "CREATING";
  record.table = **info;
  record.created_ms = NowMs();
  record.item_count = stats.item_count;
  record.table_size_bytes = stats.size_bytes;
  {
    MutexLock lock(&mu_);
    backups_[record.id] = record;
  }
  // (std::function needs a copyable callable: the cursor travels in a shared_ptr.)
  auto shared = std::make_shared<std::unique_ptr<store::VersionCursor>>(std::move(*cursor));
  Enqueue([this, record, shared] { WriteBackup(record, std::move(*shared)); });
  return record;
}

void BackupService::WriteBackup(BackupRecord record, std::unique_ptr<store::VersionCursor> cursor) {
  const fs::path final_dir = fs::path(options_.backup_dir) / record.id;
  const fs::path dir = fs::path(options_.backup_dir) / (record.id + ".partial");
  auto task =
      store_->progress().Start("backup", record.table.name, record.id, "items", record.item_count);
  Status st = [&]() -> Status {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Status::IOError("create " + dir.string() + ": " + ec.message());
    {
      std::unique_ptr<rocksdb::WritableFile> file;
      auto rs = store_->file_env()->NewWritableFile((dir / "items.bin").string(), &file,
                                                    rocksdb::EnvOptions());
      if (!rs.ok()) return Status::IOError("create items.bin: " + rs.ToString());
      std::string buf(kItemsMagic);
      CpuPacer pacer(options_.job_cpu_share);
      std::string_view suffix, version;
      uint64_t n = 0;
      while (rs.ok() && cursor->Next(&suffix, &version)) {
        PutU32(static_cast<uint32_t>(suffix.size()), &buf);
        buf.append(suffix);
        PutU32(static_cast<uint32_t>(version.size()), &buf);
        buf.append(version);
        if (buf.size() >= kChunkBytes) {
          rs = file->Append(buf);
          buf.clear();
        }
        if (++n % 4096 == 0) {
          task.Advance(4096);
          pacer.Step();
        }
      }
      if (rs.ok()) rs = file->Append(buf);
      if (rs.ok()) rs = file->Sync();
      if (rs.ok()) rs = file->Close();
      if (!rs.ok()) return Status::IOError("write items.bin: " + rs.ToString());
      MERIDIAN_RETURN_IF_ERROR(cursor->status());
    }
    cursor.reset();  // releases the snapshot
    record.status = "AVAILABLE";
    record.size_bytes = DirectorySize(dir);
    MERIDIAN_RETURN_IF_ERROR(
        WriteFileSynced(dir / "backup.json", json::serialize(EncodeRecord(record))));
    MERIDIAN_RETURN_IF_ERROR(Fsync(dir));
    fs::rename(dir, final_dir, ec);
    if (ec) return Status::IOError("rename backup: " + ec.message());
    return Fsync(options_.backup_dir);
  }();
  if (!st.ok()) {
    spdlog::error("msg=\"backup failed\" table=\"{}\" backup=\"{}\" error=\"{}\"",
                  record.table.name, record.id, st.ToString());
    std::error_code ec;
    fs::remove_all(dir, ec);
    MutexLock lock(&mu_);
    backups_.erase(record.id);  // DynamoDB drops a failed backup
    return;
  }
  spdlog::info("msg=\"backup written\" table=\"{}\" backup=\"{}\" bytes={}", record.table.name,
               record.id, record.size_bytes);
  MutexLock lock(&mu_);
  backups_[record.id] = std::move(record);
}

std::optional<BackupRecord> BackupService::FindBackup(std::string_view id) const {
  MutexLock lock(&mu_);
  auto it = backups_.find(id);
  if (it == backups_.end()) return std::nullopt;
  return it->second;
}

std::vector<BackupRecord> BackupService::ListBackups() const {
  std::vector<BackupRecord> out;
  {
    MutexLock lock(&mu_);
    for (const auto& [id, b] : backups_) out.push_back(b);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.created_ms < b.created_ms; });
  return out;
}

Result<BackupRecord> BackupService::DeleteBackup(std::string_view id) {
  BackupRecord record;
  {
    MutexLock lock(&mu_);
    auto it = backups_.find(id);
    if (it == backups_.end()) return Status::NotFound("Backup not found");
    if (it->second.status != "AVAILABLE" || backup_readers_.count(id)) {
      return Status::ResourceInUse("Backup is in use");
    }
    record = it->second;
    backups_.erase(it);
  }
  std::error_code ec;
  const fs::path dir = fs::path(options_.backup_dir) / record.id;
  const fs::path doomed = fs::path(options_.backup_dir) / (record.id + ".deleted");
  fs::rename(dir, doomed, ec);
  if (!ec) fs::remove_all(doomed, ec);
  record.status = "DELETED";
  return record;
}

std::optional<RestoreRecord> BackupService::FindRestore(std::string_view table) const {
  MutexLock lock(&mu_);
  auto it = restores_.find(table);
  if (it == restores_.end()) return std::nullopt;
  return it->second;
}

Result<std::shared_ptr<const store::TableInfo>> BackupService::RestoreFromBackup(
    std::string_view backup_id, store::TableInfo target) {
  auto backup = FindBackup(backup_id);
  if (!backup || backup->status != "AVAILABLE") return Status::NotFound("Backup not found");
  RestoreRecord record;
  record.source_backup_arn = BackupArn(*backup);
  record.source_table_arn = TableArn(backup->table.name);
  record.restore_time_ms = backup->created_ms;
  const fs::path items = fs::path(options_.backup_dir) / backup->id / "items.bin";
  Source source = [items, store = store_]() -> Result<std::unique_ptr<store::VersionCursor>> {
    return std::unique_ptr<store::VersionCursor>(
        std::make_unique<BackupFileCursor>(store->file_env(), items));
  };
  return Restore(std::move(target), std::move(record), std::move(source), backup->id);
}

Result<std::shared_ptr<const store::TableInfo>> BackupService::RestoreToPointInTime(
    std::string_view source_table, uint64_t time_ms, store::TableInfo target) {
  // The history is read at a snapshot taken now: later writes to the source do not matter.
  auto cursor = store_->OpenVersionsAt(source_table, time_ms);
  if (!cursor.ok()) return cursor.status();
  auto shared = std::make_shared<std::unique_ptr<store::VersionCursor>>(std::move(*cursor));
  RestoreRecord record;
  record.source_table_arn = TableArn(source_table);
  record.restore_time_ms = time_ms;
  Source source = [shared]() -> Result<std::unique_ptr<store::VersionCursor>> {
    return std::move(*shared);
  };
  return Restore(std::move(target), std::move(record), std::move(source), "");
}

Result<std::shared_ptr<const store::TableInfo>> BackupService::Restore(store::TableInfo target,
                                                                       RestoreRecord record,
                                                                       Source source,
                                                                       std::string backup_id) {
  const std::string name = target.name;
  if (store_->GetTable(name).ok()) return Status::ResourceInUse("Table already exists: " + name);
  {
    MutexLock lock(&mu_);
    if (restores_.count(name) && restores_[name].in_progress) {
      return Status::ResourceInUse("Table already exists: " + name);
    }
    restores_[name] = std::move(record);
    if (!backup_id.empty()) ++backup_readers_[backup_id];
  }
  auto forget = [&] {
    MutexLock lock(&mu_);
    restores_.erase(name);
    if (!backup_id.empty() && --backup_readers_[backup_id] == 0) backup_readers_.erase(backup_id);
  };
  if (Status st = WriteIntent(name); !st.ok()) {
    forget();
    return st;
  }
  // Here only: the restored table can be made global later (ReplicaUpdates).
  target.all_regions = false;
  target.replicas.clear();
  target.stream = {};
  target.ttl_enabled = false;
  target.ttl_attribute.clear();
  auto created = store_->CreateTable(std::move(target));
  if (!created.ok()) {
    ClearIntent(name);
    forget();
    return created.status();
  }
  {
    MutexLock lock(&mu_);
    restores_[name].table_id = (*created)->table_id;
  }
  Enqueue(
      [this, name, source = std::move(source), backup_id] { FillTable(name, source, backup_id); });
  return created;
}

void BackupService::FillTable(const std::string& table, const Source& source,
                              const std::string& backup_id) {
  auto task = store_->progress().Start("restore", table,
                                       backup_id.empty() ? "point in time" : backup_id, "items");
  Status st = [&]() -> Status {
    auto cursor = source();
    if (!cursor.ok()) return cursor.status();
    std::vector<std::pair<std::string, std::string>> chunk;
    size_t bytes = 0;
    std::string_view suffix, version;
    auto flush = [&]() -> Status {
      auto merged = store_->MergeSnapshot(table, chunk, /*adopt=*/false, /*skip_tombstones=*/true);
      if (!merged.ok()) return merged.status();
      task.Advance(chunk.size());
      chunk.clear();
      bytes = 0;
      return Status::Ok();
    };
    while ((*cursor)->Next(&suffix, &version)) {
      chunk.emplace_back(suffix, version);
      bytes += suffix.size() + version.size();
      if (bytes >= kChunkBytes) MERIDIAN_RETURN_IF_ERROR(flush());
    }
    MERIDIAN_RETURN_IF_ERROR((*cursor)->status());
    return flush();
  }();
  if (!st.ok()) {
    spdlog::error("msg=\"restore failed\" table=\"{}\" error=\"{}\"", table, st.ToString());
    (void)store_->DeleteTable(table);
  } else {
    spdlog::info("msg=\"restore finished\" table=\"{}\"", table);
  }
  RestoreRecord finished;
  {
    MutexLock lock(&mu_);
    auto it = restores_.find(table);
    if (it != restores_.end()) {
      it->second.in_progress = false;
      if (!st.ok()) it->second.failure = st.ToString();
      finished = it->second;
    }
  }
  if (st.ok()) SaveRestored(table, finished);
  ClearIntent(table);
  MutexLock lock(&mu_);
  if (!backup_id.empty() && --backup_readers_[backup_id] == 0) backup_readers_.erase(backup_id);
}

}  // namespace meridian::api
