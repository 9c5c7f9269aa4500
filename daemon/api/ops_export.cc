// ExportTableToPointInTime, DescribeExport, ListExports, ImportTable, DescribeImport,
// ListImports (docs/backups.md). The jobs are ExportImport's.
#include <boost/json.hpp>
#include <cctype>
#include <cmath>

#include "common/wall_clock.h"
#include "daemon/api/api_error.h"
#include "daemon/api/backup_service.h"
#include "daemon/api/export_import.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"

namespace meridian::api {
namespace json = boost::json;

namespace {

ExportImport& Jobs(const OpContext& ctx) {
  if (!ctx.options->exports) throw ApiError::Validation("Exports are not enabled on this server");
  return *ctx.options->exports;
}

void CheckEnum(const std::optional<std::string>& value, std::string_view path,
               std::initializer_list<std::string_view> allowed, ConstraintErrors* errors) {
  if (!value) return;
  std::string set;
  for (auto a : allowed) {
    if (*value == a) return;
    set += set.empty() ? "" : ", ";
    set += a;
  }
  errors->Add(*value, path, "Member must satisfy enum value set: [" + set + "]");
}

// The table name of a table ARN ("...:table/NAME").
std::string TableOfArn(const std::string& arn) {
  const auto at = arn.find(":table/");
  if (!arn.starts_with("arn:") || at == std::string::npos) {
    throw ApiError::Validation("Invalid TableArn: " + arn);
  }
  std::string name = arn.substr(at + 7);
  if (const auto slash = name.find('/'); slash != std::string::npos) name.resize(slash);
  return name;
}

// The id of an export or import ARN ("...:table/NAME/export/ID").
std::string JobIdOf(const std::string& arn, std::string_view kind) {
  CheckArnLength(arn, std::string(kind) + "Arn");
  const std::string marker = "/" + std::string(kind) + "/";
  const auto at = arn.rfind(marker);
  return at == std::string::npos ? std::string() : arn.substr(at + marker.size());
}

// Page tokens: the last id of a page, hex, padded with zeros to 128 characters (ListImports'
// NextToken is ([0-9a-f]{16})+ of at least 112).
std::string EncodeToken(std::string_view id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : id) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  if (out.size() < 128) out.append(128 - out.size(), '0');
  while (out.size() % 16 != 0) out += '0';
  return out;
}
std::string DecodeToken(std::string_view token) {
  std::string out;
  auto nibble = [](char c) { return c >= 'a' ? c - 'a' + 10 : c - '0'; };
  for (size_t i = 0; i + 1 < token.size(); i += 2) {
    if (!std::isxdigit(static_cast<unsigned char>(token[i])) ||
        !std::isxdigit(static_cast<unsigned char>(token[i + 1]))) {
      throw ApiError::Validation("Invalid NextToken");
    }
    const char c = static_cast<char>(nibble(token[i]) * 16 + nibble(token[i + 1]));
    if (c == 0) break;
    out += c;
  }
  return out;
}

// One page of `all` after the record whose ARN ends with `token`, of at most `max`.
template <class Fn>
json::object Page(const std::vector<json::object>& all, const std::optional<std::string>& token,
                  size_t max, const char* list_name, const char* arn_member, Fn&& summarize) {
  json::array page;
  size_t i = 0;
  if (token) {
    const std::string id = "/" + DecodeToken(*token);
    while (i < all.size() && !std::string(all[i].at(arn_member).as_string()).ends_with(id)) ++i;
    if (i == all.size()) throw ApiError::Validation("Invalid NextToken");
    ++i;
  }
  std::string last;
  for (; i < all.size() && page.size() < max; ++i) {
    page.push_back(summarize(all[i]));
    last = std::string(all[i].at(arn_member).as_string());
  }
  json::object out{{list_name, std::move(page)}};
  if (i < all.size() && !last.empty())
    out["NextToken"] = EncodeToken(last.substr(last.rfind('/') + 1));
  return out;
}

}  // namespace

Response ExportTableToPointInTime(const OpContext& ctx, const Request& req) {
  const std::string table_arn = RequiredString(req, "TableArn", "tableArn");
  const std::string bucket = RequiredString(req, "S3Bucket", "s3Bucket");
  auto format = OptionalString(req, "ExportFormat");
  auto type = OptionalString(req, "ExportType");
  ConstraintErrors errors;
  CheckEnum(format, "exportFormat", {"DYNAMODB_JSON", "ION"}, &errors);
  CheckEnum(type, "exportType", {"FULL_EXPORT", "INCREMENTAL_EXPORT"}, &errors);
  errors.ThrowIfAny();
  if (type == "INCREMENTAL_EXPORT") {
    throw ApiError::Validation("Incremental exports are not supported by this server");
  }
  ExportImport::ExportRequest request;
  request.table = TableOfArn(table_arn);
  request.bucket = bucket;
  request.prefix = OptionalString(req, "S3Prefix").value_or("");
  request.format = format.value_or("DYNAMODB_JSON");
  request.client_token = OptionalString(req, "ClientToken").value_or("");
  if (const json::value* t = Member(req, "ExportTime")) {
    if (!t->is_number()) throw ApiError::Serialization("Unexpected value type for ExportTime");
    request.export_time_ms = static_cast<uint64_t>(std::floor(t->to_number<double>() * 1000.0));
  }
  if (!request.client_token.empty()) {
    if (auto earlier = Jobs(ctx).FindExportByToken(request.client_token)) {
      if (earlier->at("TableArn") != json::value(table_arn) ||
          earlier->at("S3Bucket") != json::value(bucket)) {
        throw ApiError::Service("ExportConflictException",
                                "There was a conflict when writing to the specified S3 bucket");
      }
      return json::object{{"ExportDescription", *earlier}};
    }
  }
  auto table = ctx.store->GetTable(request.table);
  if (!table.ok())
    throw ApiError::Service("TableNotFoundException", "Table not found: " + request.table);
  const auto pitr = ctx.store->GetPitr((*table)->table_id);
  if (!pitr) {
    throw ApiError::Service(
        "PointInTimeRecoveryUnavailableException",
        "Point in time recovery is not enabled for table '" + request.table + "'");
  }
  const auto now = static_cast<uint64_t>(WallClockMillis());
  if (request.export_time_ms &&
      (*request.export_time_ms < pitr->EarliestRestorable(now) || *request.export_time_ms > now)) {
    throw ApiError::Service("InvalidExportTimeException",
                            "Export time must be between EarliestRestorableDateTime and "
                            "LatestRestorableDateTime");
  }
  auto started = Jobs(ctx).StartExport(request);
  ThrowIfError(started.status());
  return json::object{{"ExportDescription", std::move(*started)}};
}

Response DescribeExport(const OpContext& ctx, const Request& req) {
  const std::string arn = RequiredString(req, "ExportArn", "exportArn");
  auto found = Jobs(ctx).Find("export", JobIdOf(arn, "export"));
  if (!found) throw ApiError::Service("ExportNotFoundException", "Export not found: " + arn);
  return json::object{{"ExportDescription", std::move(*found)}};
}

Response ListExports(const OpContext& ctx, const Request& req) {
  auto table_arn = OptionalString(req, "TableArn");
  auto max = OptionalInt(req, "MaxResults");
  ConstraintErrors errors;
  if (max && (*max < 1 || *max > 25)) {
    errors.Add(std::to_string(*max), "maxResults",
               *max < 1 ? "Member must have value greater than or equal to 1"
                        : "Member must have value less than or equal to 25");
  }
  errors.ThrowIfAny();
  std::vector<json::object> all;
  for (auto& d : Jobs(ctx).List("export")) {
    if (!table_arn || d.at("TableArn") == json::value(*table_arn)) all.push_back(std::move(d));
  }
  return Page(all, OptionalString(req, "NextToken"), static_cast<size_t>(max.value_or(25)),
              "ExportSummaries", "ExportArn", [](const json::object& d) {
                return json::object{{"ExportArn", d.at("ExportArn")},
                                    {"ExportStatus", d.at("ExportStatus")},
                                    {"ExportType", d.at("ExportType")}};
              });
}

Response ImportTable(const OpContext& ctx, const Request& req) {
  ConstraintErrors errors;
  const json::value* source_value = Member(req, "S3BucketSource");
  const json::value* creation_value = Member(req, "TableCreationParameters");
  if (!source_value) errors.NotNull(req, "S3BucketSource", "s3BucketSource");
  if (!creation_value) errors.NotNull(req, "TableCreationParameters", "tableCreationParameters");
  auto format = OptionalString(req, "InputFormat");
  auto compression = OptionalString(req, "InputCompressionType");
  if (!format) errors.NotNull(req, "InputFormat", "inputFormat");
  CheckEnum(format, "inputFormat", {"DYNAMODB_JSON", "ION", "CSV"}, &errors);
  CheckEnum(compression, "inputCompressionType", {"GZIP", "ZSTD", "NONE"}, &errors);
  errors.ThrowIfAny();
  if (compression == "ZSTD") {
    throw ApiError::Validation("ZSTD input is not supported by this server (use GZIP or NONE)");
  }
  ExportImport::ImportRequest request;
  request.source = ExpectObject(*source_value, "S3BucketSource");
  request.creation = ExpectObject(*creation_value, "TableCreationParameters");
  request.bucket = RequiredString(request.source, "S3Bucket", "s3BucketSource.s3Bucket");
  request.key_prefix = OptionalString(request.source, "S3KeyPrefix").value_or("");
  request.format = *format;
  request.compression = compression.value_or("NONE");
  request.client_token = OptionalString(req, "ClientToken").value_or("");
  if (const json::value* options = Member(req, "InputFormatOptions")) {
    request.format_options = ExpectObject(*options, "InputFormatOptions");
    if (const json::value* csv = request.format_options.if_contains("Csv")) {
      const json::object& c = ExpectObject(*csv, "Csv");
      if (auto d = OptionalString(c, "Delimiter")) {
        if (d->size() != 1 || std::string_view(",\t:;| ").find((*d)[0]) == std::string_view::npos) {
          throw ApiError::Validation("Invalid CSV delimiter: " + *d);
        }
        request.csv_delimiter = (*d)[0];
      }
      if (const json::value* header = c.if_contains("HeaderList")) {
        for (const auto& h : ExpectArray(*header, "HeaderList")) {
          request.csv_header.emplace_back(ExpectString(h, "HeaderList"));
        }
      }
    }
  }
  const std::string name =
      RequiredString(request.creation, "TableName", "tableCreationParameters.tableName");
  if (ctx.store->GetTable(name).ok()) {
    throw ApiError::ResourceInUse("Table already exists: " + name);
  }
  // The table is created as CreateTable would, and dropped by a restart until it is full.
  ThrowIfError(ctx.options->backups->WriteIntent(name));
  std::shared_ptr<const store::TableInfo> table;
  try {
    CreateTable(ctx, request.creation);
    auto created = ctx.store->GetTable(name);
    ThrowIfError(created.status());
    table = *created;
  } catch (...) {
    ctx.options->backups->ClearIntent(name);
    throw;
  }
  auto started = Jobs(ctx).StartImport(request, *table);
  ThrowIfError(started.status());
  return json::object{{"ImportTableDescription", std::move(*started)}};
}

Response DescribeImport(const OpContext& ctx, const Request& req) {
  const std::string arn = RequiredString(req, "ImportArn", "importArn");
  auto found = Jobs(ctx).Find("import", JobIdOf(arn, "import"));
  if (!found) throw ApiError::Service("ImportNotFoundException", "Import not found: " + arn);
  return json::object{{"ImportTableDescription", std::move(*found)}};
}

Response ListImports(const OpContext& ctx, const Request& req) {
  auto table_arn = OptionalString(req, "TableArn");
  auto size = OptionalInt(req, "PageSize");
  ConstraintErrors errors;
  if (size && (*size < 1 || *size > 25)) {
    errors.Add(std::to_string(*size), "pageSize",
               *size < 1 ? "Member must have value greater than or equal to 1"
                         : "Member must have value less than or equal to 25");
  }
  errors.ThrowIfAny();
  std::vector<json::object> all;
  for (auto& d : Jobs(ctx).List("import")) {
    if (!table_arn || d.at("TableArn") == json::value(*table_arn)) all.push_back(std::move(d));
  }
  return Page(
      all, OptionalString(req, "NextToken"), static_cast<size_t>(size.value_or(25)),
      "ImportSummaryList", "ImportArn", [](const json::object& d) {
        json::object s{
            {"ImportArn", d.at("ImportArn")},     {"ImportStatus", d.at("ImportStatus")},
            {"TableArn", d.at("TableArn")},       {"S3BucketSource", d.at("S3BucketSource")},
            {"InputFormat", d.at("InputFormat")}, {"StartTime", d.at("StartTime")}};
        if (const json::value* end = d.if_contains("EndTime")) s["EndTime"] = *end;
        return s;
      });
}

}  // namespace meridian::api
