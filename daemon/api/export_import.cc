#include "daemon/api/export_import.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "common/wall_clock.h"
#include "conflict/item_version.h"
#include "conflict/version_codec.h"
#include "daemon/api/backup_service.h"
#include "daemon/api/export_format.h"
#include "daemon/api/table_description.h"
#include "model/attribute_value.h"
#include "store/store.h"

namespace meridian::api {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr size_t kDataFileBytes = size_t{64} << 20;      // uncompressed bytes per data file
constexpr size_t kMaxImportFileBytes = size_t{1} << 30;  // one file, decompressed
constexpr size_t kMaxItemBytes = size_t{400} * 1024;
constexpr size_t kCommitEvery = 512;
constexpr size_t kPublishEvery = 16384;

double Seconds(uint64_t ms) { return static_cast<double>(ms) / 1000.0; }
uint64_t NowMs() { return static_cast<uint64_t>(WallClockMillis()); }

// A data file name as DynamoDB makes them: 26 random lowercase letters and digits.
std::string RandomFileName() {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out(26, 'a');
  for (char& c : out) c = kChars[rng() % (sizeof kChars - 1)];
  return out;
}

Status WriteFile(const fs::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  return out ? Status::Ok() : Status::IOError("write " + path.string());
}

Result<std::string> ReadFile(const fs::path& path, size_t max_bytes) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return Status::IOError("stat " + path.string() + ": " + ec.message());
  if (size > max_bytes) return Status::InvalidArgument("file too large: " + path.string());
  std::ifstream in(path, std::ios::binary);
  std::string data(size, '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(size))) {
    return Status::IOError("read " + path.string());
  }
  return data;
}

std::string Key(const std::string& kind, std::string_view id) {
  return kind + "/" + std::string(id);
}

fs::path RecordDir(const BackupService& backups, const std::string& kind) {
  return fs::path(backups.options().backup_dir) / (kind + "s");
}

// Is `name` one of an export's files other than data (skipped by imports)?
bool IsExportMetadata(const std::string& name) {
  return name == "manifest-summary.json" || name == "manifest-files.json" || name == "_started" ||
         name.ends_with(".md5") || name.ends_with(".checksum");
}

// Checks an imported item against the table: key attributes present with their types, index
// keys (when present) of their types, within the item size limit.
Status CheckImportedItem(const store::TableInfo& table, const model::Item& item) {
  auto key = [&](const store::KeyAttribute& k, bool partition, bool required) -> Status {
    auto it = item.find(k.name);
    if (it == item.end()) {
      return required ? Status::InvalidArgument("missing key attribute " + k.name) : Status::Ok();
    }
    if (!store::ValidKeyValue(it->second, k.type, partition)) {
      return Status::InvalidArgument("invalid value for key attribute " + k.name);
    }
    return Status::Ok();
  };
  MERIDIAN_RETURN_IF_ERROR(key(table.partition_key, true, true));
  if (table.sort_key) MERIDIAN_RETURN_IF_ERROR(key(*table.sort_key, false, true));
  for (const auto& index : table.indexes) {
    MERIDIAN_RETURN_IF_ERROR(key(index.partition_key, true, false));
    if (index.sort_key) MERIDIAN_RETURN_IF_ERROR(key(*index.sort_key, false, false));
  }
  if (model::ItemByteSize(item) > kMaxItemBytes) {
    return Status::InvalidArgument("item larger than 400 KB");
  }
  return Status::Ok();
}

}  // namespace

std::string BucketDirectory(std::string_view s3_dir, std::string_view bucket) {
  if (bucket.starts_with("file://")) return std::string(bucket.substr(7));
  return (fs::path(s3_dir) / std::string(bucket)).string();
}

ExportImport::ExportImport(BackupService* backups) : backups_(backups) {}

Status ExportImport::Start() {
  for (const std::string kind : {"export", "import"}) {
    std::error_code ec;
    const fs::path dir = RecordDir(*backups_, kind);
    fs::create_directories(dir, ec);
    if (ec) return Status::IOError("create " + dir.string() + ": " + ec.message());
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      auto text = ReadFile(entry.path(), size_t{1} << 20);
      if (!text.ok()) continue;
      boost::system::error_code jec;
      json::value v = json::parse(*text, jec);
      if (jec || !v.is_object()) continue;
      Record r;
      r.kind = kind;
      r.id = entry.path().stem().string();
      r.description = std::move(v.get_object());
      const char* status = kind == "export" ? "ExportStatus" : "ImportStatus";
      if (r.description[status] == "IN_PROGRESS") {
        // A restart interrupted it (an import's table is dropped by BackupService::Start).
        r.description[status] = "FAILED";
        r.description["FailureCode"] = "Interrupted";
        r.description["FailureMessage"] = "The server restarted while the job ran";
        r.description["EndTime"] = Seconds(NowMs());
        Save(r);
      }
      if (const json::value* start = r.description.if_contains("StartTime");
          start && start->is_number()) {
        r.created_ms = static_cast<uint64_t>(start->to_number<double>() * 1000.0);
      }
      MutexLock lock(&mu_);
      records_[Key(kind, r.id)] = std::move(r);
    }
  }
  return Status::Ok();
}

void ExportImport::Save(const Record& record) const {
  const fs::path path = RecordDir(*backups_, record.kind) / (record.id + ".json");
  const fs::path tmp = path.string() + ".tmp";
  if (WriteFile(tmp, json::serialize(record.description)).ok()) {
    std::error_code ec;
    fs::rename(tmp, path, ec);
  }
}

void ExportImport::Update(const std::string& kind, const std::string& id,
                          const std::function<void(json::object*)>& edit) {
  Record copy;
  {
    MutexLock lock(&mu_);
    auto it = records_.find(Key(kind, id));
    if (it == records_.end()) return;
    edit(&it->second.description);
    copy = it->second;
  }
  Save(copy);
}

std::optional<json::object> ExportImport::Find(std::string_view kind, std::string_view id) const {
  MutexLock lock(&mu_);
  auto it = records_.find(Key(std::string(kind), id));
  if (it == records_.end()) return std::nullopt;
  return it->second.description;
}

std::vector<json::object> ExportImport::List(std::string_view kind) const {
  std::vector<const Record*> found;
  std::vector<json::object> out;
  MutexLock lock(&mu_);
  for (const auto& [key, r] : records_) {
    if (r.kind == kind) found.push_back(&r);
  }
  std::stable_sort(found.begin(), found.end(), [](const Record* a, const Record* b) {
    return a->created_ms != b->created_ms ? a->created_ms < b->created_ms : a->id < b->id;
  });
  out.reserve(found.size());
  for (const Record* r : found) out.push_back(r->description);
  return out;
}

std::optional<json::object> ExportImport::FindExportByToken(std::string_view token) const {
  MutexLock lock(&mu_);
  for (const auto& [key, r] : records_) {
    const json::value* t = r.description.if_contains("ClientToken");
    if (r.kind == "export" && t && t->is_string() && t->get_string() == token) return r.description;
  }
  return std::nullopt;
}

Result<json::object> ExportImport::StartExport(const ExportRequest& request) {
  store::Store* store = backups_->store();
  auto table = store->GetTable(request.table);
  if (!table.ok()) return table.status();
  auto cursor = request.export_time_ms
                    ? store->OpenVersionsAt(request.table, *request.export_time_ms)
                    : store->OpenVersions(request.table);
  if (!cursor.ok()) return cursor.status();
  if (!*cursor) return Status::ResourceInUse("Table is being created: " + request.table);
  const uint64_t now = NowMs();
  Record r;
  r.kind = "export";
  r.id = NewJobId();
  r.created_ms = now;
  const std::string table_arn = backups_->TableArn(request.table);
  r.description = json::object{{"ExportArn", table_arn + "/export/" + r.id},
                               {"ExportStatus", "IN_PROGRESS"},
                               {"StartTime", Seconds(now)},
                               {"TableArn", table_arn},
                               {"TableId", TableUuid((*table)->table_id)},
                               {"ExportTime", Seconds(request.export_time_ms.value_or(now))},
                               {"S3Bucket", request.bucket},
                               {"S3SseAlgorithm", "AES256"},
                               {"ExportFormat", request.format},
                               {"ExportType", "FULL_EXPORT"}};
  if (!request.prefix.empty()) r.description["S3Prefix"] = request.prefix;
  if (!request.client_token.empty()) r.description["ClientToken"] = request.client_token;
  {
    MutexLock lock(&mu_);
    records_[Key(r.kind, r.id)] = r;
  }
  Save(r);
  auto shared = std::make_shared<std::unique_ptr<store::VersionCursor>>(std::move(*cursor));
  backups_->Enqueue([this, id = r.id, request, table_arn, shared] {
    RunExport(id, request, table_arn, std::move(*shared));
  });
  return r.description;
}

void ExportImport::RunExport(std::string id, ExportRequest request, std::string table_arn,
                             std::unique_ptr<store::VersionCursor> cursor) {
  store::Store* store = backups_->store();
  auto task = store->progress().Start("export", request.table, id, "items");
  std::string prefix = request.prefix;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  const std::string base_key = (prefix.empty() ? "" : prefix + "/") + "AWSDynamoDB/" + id;
  const fs::path root = BucketDirectory(backups_->options().s3_dir, request.bucket);
  const fs::path dir = root / base_key;
  const bool ion = request.format == "ION";
  uint64_t items = 0, billed = 0;
  std::string manifest_files;
  Status st = [&]() -> Status {
    std::error_code ec;
    fs::create_directories(dir / "data", ec);
    if (ec) return Status::IOError("create " + (dir / "data").string() + ": " + ec.message());
    MERIDIAN_RETURN_IF_ERROR(WriteFile(dir / "_started", ""));
    std::string text;
    uint64_t file_items = 0;
    auto flush = [&]() -> Status {
      if (file_items == 0) return Status::Ok();
      const std::string name = RandomFileName() + (ion ? ".ion.gz" : ".json.gz");
      const std::string gz = GzipCompress(text);
      MERIDIAN_RETURN_IF_ERROR(WriteFile(dir / "data" / name, gz));
      manifest_files +=
          ManifestFilesLine(file_items, Md5Base64(gz), Md5Hex(gz), base_key + "/data/" + name);
      billed += text.size();
      text.clear();
      file_items = 0;
      return Status::Ok();
    };
    std::string_view suffix, bytes;
    CpuPacer pacer(backups_->options().job_cpu_share);
    while (cursor->Next(&suffix, &bytes)) {
      auto version = conflict::DecodeItemVersion(bytes);
      if (!version.ok()) return version.status();
      if (version->tombstone) continue;
      const model::Item item = conflict::Materialize(*version);
      if (ion) {
        AppendIonLine(item, &text);
      } else {
        AppendDynamoDbJsonLine(item, &text);
      }
      ++items;
      ++file_items;
      if (items % 4096 == 0) {
        task.Advance(4096);
        pacer.Step();
      }
      if (text.size() >= kDataFileBytes) MERIDIAN_RETURN_IF_ERROR(flush());
    }
    MERIDIAN_RETURN_IF_ERROR(cursor->status());
    MERIDIAN_RETURN_IF_ERROR(flush());
    cursor.reset();
    MERIDIAN_RETURN_IF_ERROR(WriteFile(dir / "manifest-files.json", manifest_files));
    MERIDIAN_RETURN_IF_ERROR(WriteFile(dir / "manifest-files.md5", Md5Base64(manifest_files)));
    ManifestSummary summary;
    summary.export_arn = table_arn + "/export/" + id;
    summary.table_arn = table_arn;
    summary.s3_bucket = request.bucket;
    if (!request.prefix.empty()) summary.s3_prefix = request.prefix;
    summary.s3_sse_algorithm = "AES256";
    summary.manifest_files_s3_key = base_key + "/manifest-files.json";
    summary.billed_size_bytes = billed;
    summary.item_count = items;
    summary.output_format = request.format;
    auto found = Find("export", id);
    if (found) {
      summary.table_id = std::string(found->at("TableId").as_string());
      summary.start_time_ms =
          static_cast<uint64_t>(found->at("StartTime").to_number<double>() * 1000.0);
      summary.export_time_ms =
          static_cast<uint64_t>(found->at("ExportTime").to_number<double>() * 1000.0);
    }
    summary.end_time_ms = NowMs();
    const std::string summary_json = ManifestSummaryJson(summary);
    MERIDIAN_RETURN_IF_ERROR(WriteFile(dir / "manifest-summary.json", summary_json));
    return WriteFile(dir / "manifest-summary.md5", Md5Base64(summary_json));
  }();
  const uint64_t end = NowMs();
  if (!st.ok()) spdlog::error("msg=\"export failed\" export={} error=\"{}\"", id, st.ToString());
  Update("export", id, [&](json::object* d) {
    (*d)["EndTime"] = Seconds(end);
    if (st.ok()) {
      (*d)["ExportStatus"] = "COMPLETED";
      (*d)["ExportManifest"] = base_key + "/manifest-summary.json";
      (*d)["ItemCount"] = items;
      (*d)["BilledSizeBytes"] = billed;
    } else {
      (*d)["ExportStatus"] = "FAILED";
      (*d)["FailureCode"] = "ExportFailed";
      (*d)["FailureMessage"] = st.message();
    }
  });
}

Result<json::object> ExportImport::StartImport(const ImportRequest& request,
                                               const store::TableInfo& table) {
  const uint64_t now = NowMs();
  Record r;
  r.kind = "import";
  r.id = NewJobId();
  r.created_ms = now;
  const std::string table_arn = backups_->TableArn(table.name);
  r.description = json::object{{"ImportArn", table_arn + "/import/" + r.id},
                               {"ImportStatus", "IN_PROGRESS"},
                               {"TableArn", table_arn},
                               {"TableId", TableUuid(table.table_id)},
                               {"S3BucketSource", request.source},
                               {"InputFormat", request.format},
                               {"InputCompressionType", request.compression},
                               {"TableCreationParameters", request.creation},
                               {"StartTime", Seconds(now)},
                               {"ProcessedSizeBytes", 0},
                               {"ProcessedItemCount", 0},
                               {"ImportedItemCount", 0},
                               {"ErrorCount", 0}};
  if (!request.format_options.empty()) r.description["InputFormatOptions"] = request.format_options;
  if (!request.client_token.empty()) r.description["ClientToken"] = request.client_token;
  {
    MutexLock lock(&mu_);
    records_[Key(r.kind, r.id)] = r;
  }
  Save(r);
  backups_->SetImporting(table.name, table.table_id, true);
  backups_->Enqueue([this, id = r.id, request, table] { RunImport(id, request, table); });
  return r.description;
}

void ExportImport::RunImport(std::string id, ImportRequest request, store::TableInfo table) {
  store::Store* store = backups_->store();
  auto task = store->progress().Start("import", table.name, id, "items");
  uint64_t processed = 0, imported = 0, errors = 0, bytes = 0;
  auto publish = [&] {
    Update("import", id, [&](json::object* d) {
      (*d)["ProcessedItemCount"] = processed;
      (*d)["ImportedItemCount"] = imported;
      (*d)["ErrorCount"] = errors;
      (*d)["ProcessedSizeBytes"] = bytes;
    });
  };
  Status st = [&]() -> Status {
    auto current = store->GetTable(table.name);
    if (!current.ok()) return current.status();
    const store::TableInfo& info = **current;
    // Every file under the key prefix, in name order.
    const fs::path root = BucketDirectory(backups_->options().s3_dir, request.bucket);
    std::vector<fs::path> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      const std::string key = it->path().lexically_relative(root).generic_string();
      if (!key.starts_with(request.key_prefix) ||
          IsExportMetadata(it->path().filename().string())) {
        continue;
      }
      files.push_back(it->path());
    }
    if (ec) return Status::InvalidArgument("cannot list " + root.string() + ": " + ec.message());
    if (files.empty()) {
      return Status::InvalidArgument("no files under s3://" + request.bucket + "/" +
                                     request.key_prefix);
    }
    std::sort(files.begin(), files.end());
    size_t staged = 0;
    auto write = [&](model::Item item) -> Status {
      ++processed;
      if (Status bad = CheckImportedItem(info, item); !bad.ok()) {
        ++errors;
        return Status::Ok();
      }
      const model::AttributeValue pk = item.at(info.partition_key.name);
      std::optional<model::AttributeValue> sk;
      if (info.sort_key) sk = item.at(info.sort_key->name);
      auto written = store->WriteItem(
          info, pk, sk ? &*sk : nullptr,
          [&item](const model::Item*) -> Result<store::Mutation> {
            return store::Mutation::Put(std::move(item));
          },
          store::CommitMode::kDeferred);
      if (!written.ok()) return written.status();
      ++imported;
      task.Advance(1);
      if (++staged % kCommitEvery == 0) store->CommitPending();
      if (staged % kPublishEvery == 0) publish();  // DescribeImport shows the progress
      return Status::Ok();
    };
    for (const auto& path : files) {
      auto data = ReadFile(path, kMaxImportFileBytes);
      if (!data.ok()) return data.status();
      bytes += data->size();
      std::string text;
      if (request.compression == "GZIP") {
        auto inflated = GzipDecompress(*data, kMaxImportFileBytes);
        if (!inflated.ok())
          return Status::InvalidArgument(path.filename().string() + ": " +
                                         inflated.status().message());
        text = std::move(*inflated);
      } else {
        text = std::move(*data);
      }
      if (request.format == "CSV") {
        CsvOptions options;
        options.delimiter = request.csv_delimiter;
        options.header = request.csv_header;
        options.on_bad_record = [&](size_t, const Status&) {
          ++processed;
          ++errors;
          return Status::Ok();
        };
        auto key_type = [&info](std::string_view name) -> std::optional<char> {
          auto type_of = [](store::KeyType t) { return store::KeyTypeName(t)[0]; };
          if (name == info.partition_key.name) return type_of(info.partition_key.type);
          if (info.sort_key && name == info.sort_key->name) return type_of(info.sort_key->type);
          for (const auto& index : info.indexes) {
            if (name == index.partition_key.name) return type_of(index.partition_key.type);
            if (index.sort_key && name == index.sort_key->name)
              return type_of(index.sort_key->type);
          }
          return std::nullopt;
        };
        MERIDIAN_RETURN_IF_ERROR(ParseCsv(text, options, write, key_type));
      } else {
        const bool ion = request.format == "ION";
        size_t at = 0;
        while (at < text.size()) {
          size_t end = text.find('\n', at);
          if (end == std::string::npos) end = text.size();
          const std::string_view line = std::string_view(text).substr(at, end - at);
          at = end + 1;
          if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
          auto item = ion ? ParseIonLine(line) : ParseDynamoDbJsonLine(line);
          if (!item.ok()) {
            ++processed;
            ++errors;
            continue;
          }
          MERIDIAN_RETURN_IF_ERROR(write(std::move(item).value()));
        }
      }
      store->CommitPending();
      publish();
    }
    store->CommitPending();
    return Status::Ok();
  }();
  const uint64_t end = NowMs();
  if (!st.ok()) {
    spdlog::error("msg=\"import failed\" import={} table=\"{}\" error=\"{}\"", id, table.name,
                  st.ToString());
    (void)store->DeleteTable(table.name);  // DynamoDB leaves no table behind a failed import
  }
  backups_->ClearIntent(table.name);
  backups_->SetImporting(table.name, table.table_id, false);
  Update("import", id, [&](json::object* d) {
    (*d)["ProcessedItemCount"] = processed;
    (*d)["ImportedItemCount"] = imported;
    (*d)["ErrorCount"] = errors;
    (*d)["ProcessedSizeBytes"] = bytes;
    (*d)["EndTime"] = Seconds(end);
    if (st.ok()) {
      (*d)["ImportStatus"] = "COMPLETED";
    } else {
      (*d)["ImportStatus"] = "FAILED";
      (*d)["FailureCode"] = "ImportFailed";
      (*d)["FailureMessage"] = st.message();
    }
  });
}

}  // namespace meridian::api
