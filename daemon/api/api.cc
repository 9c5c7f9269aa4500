#include "daemon/api/api.h"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <unordered_map>

#include "daemon/api/api_error.h"
#include "daemon/api/authorize.h"
#include "daemon/api/capacity.h"
#include "daemon/api/capacity_limiter.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "security/access_key.h"
#include "security/policy.h"

namespace meridian::api {
namespace json = boost::json;

namespace {

using OpFn = Response (*)(const OpContext&, const Request&);

const std::unordered_map<std::string_view, OpFn>& Operations() {
  static const std::unordered_map<std::string_view, OpFn> ops = {
      {"CreateTable", &CreateTable},
      {"DescribeTable", &DescribeTable},
      {"ListTables", &ListTables},
      {"DeleteTable", &DeleteTable},
      {"UpdateTable", &UpdateTable},
      {"PutItem", &PutItem},
      {"GetItem", &GetItem},
      {"DeleteItem", &DeleteItem},
      {"UpdateItem", &UpdateItem},
      {"Query", &Query},
      {"Scan", &Scan},
      {"TagResource", &TagResource},
      {"UntagResource", &UntagResource},
      {"ListTagsOfResource", &ListTagsOfResource},
      {"BatchGetItem", &BatchGetItem},
      {"BatchWriteItem", &BatchWriteItem},
      {"TransactWriteItems", &TransactWriteItems},
      {"TransactGetItems", &TransactGetItems},
      {"ExecuteStatement", &ExecuteStatement},
      {"BatchExecuteStatement", &BatchExecuteStatement},
      {"ExecuteTransaction", &ExecuteTransaction},
      {"DescribeLimits", &DescribeLimits},
      {"DescribeEndpoints", &DescribeEndpoints},
      {"UpdateTimeToLive", &UpdateTimeToLive},
      {"DescribeTimeToLive", &DescribeTimeToLive},
      {"CreateBackup", &CreateBackup},
      {"DescribeBackup", &DescribeBackup},
      {"ListBackups", &ListBackups},
      {"DeleteBackup", &DeleteBackup},
      {"RestoreTableFromBackup", &RestoreTableFromBackup},
      {"UpdateContinuousBackups", &UpdateContinuousBackups},
      {"DescribeContinuousBackups", &DescribeContinuousBackups},
      {"RestoreTableToPointInTime", &RestoreTableToPointInTime},
      {"ExportTableToPointInTime", &ExportTableToPointInTime},
      {"DescribeExport", &DescribeExport},
      {"ListExports", &ListExports},
      {"ImportTable", &ImportTable},
      {"DescribeImport", &DescribeImport},
      {"ListImports", &ListImports},
  };
  return ops;
}

const std::unordered_map<std::string_view, OpFn>& StreamOperations() {
  static const std::unordered_map<std::string_view, OpFn> ops = {
      {"ListStreams", &ListStreams},
      {"DescribeStream", &DescribeStream},
      {"GetShardIterator", &GetShardIterator},
      {"GetRecords", &GetRecords},
  };
  return ops;
}

ApiResponse ErrorResponse(const ApiError& e) {
  json::object body;
  body["__type"] = e.type;
  body[e.capital_message ? "Message" : "message"] = e.message;
  for (const auto& [name, value] : e.members) body[name] = json::parse(value);
  ApiResponse r;
  r.status = e.http_status;
  r.body = json::serialize(body);
  const auto hash = e.type.find('#');
  r.error_type = hash == std::string::npos ? e.type : e.type.substr(hash + 1);
  return r;
}

constexpr std::string_view kTargetPrefix = "DynamoDB_20120810.";
constexpr std::string_view kStreamsTargetPrefix = "DynamoDBStreams_20120810.";

// The operation `target` names, or nullptr.
// The operation `target` names, and its name (nullptr, "" when none).
std::pair<OpFn, std::string_view> FindOperation(std::string_view target) {
  for (auto [prefix, ops] : {std::pair(kTargetPrefix, &Operations()),
                             std::pair(kStreamsTargetPrefix, &StreamOperations())}) {
    if (target.substr(0, prefix.size()) != prefix) continue;
    auto op = ops->find(target.substr(prefix.size()));
    if (op == ops->end()) return {nullptr, {}};
    return {op->second, op->first};
  }
  return {nullptr, {}};
}

// What an operation does to the tables it names, for the throughput limits. PartiQL sets
// its statements' kind itself.
AccessKind KindOf(std::string_view operation) {
  if (operation == "GetItem" || operation == "BatchGetItem" || operation == "TransactGetItems")
    return AccessKind::kRead;
  if (operation == "Query" || operation == "Scan") return AccessKind::kIndexedRead;
  if (operation == "PutItem" || operation == "UpdateItem" || operation == "DeleteItem" ||
      operation == "BatchWriteItem" || operation == "TransactWriteItems")
    return AccessKind::kWrite;
  return AccessKind::kNone;
}

// The request's TableName, for the metrics ("" when none or not a string).
std::string TableNameOf(const json::object& req) {
  const json::value* name = req.if_contains("TableName");
  return name && name->is_string() ? std::string(name->get_string()) : std::string();
}

// AccessDeniedException unless the principal's policy allows every permission the request
// needs.
void Authorize(const security::AccessKey& principal, std::string_view operation, const Request& req,
               const OpContext& ctx) {
  if (!principal.policy) return;  // the account's root
  const security::PolicyVariables vars{principal.user, principal.id, principal.account_id};
  for (const AccessCheck& check :
       RequiredAccess(operation, req, ctx, principal.policy->has_conditions())) {
    const security::Decision d =
        principal.policy->Evaluate({check.action, check.resource, &check.context}, vars);
    if (d == security::Decision::kAllow) continue;
    std::string message = "User: " + principal.Arn() +
                          " is not authorized to perform: " + check.action +
                          " on resource: " + check.resource;
    message += d == security::Decision::kExplicitDeny
                   ? " with an explicit deny in an identity-based policy"
                   : " because no identity-based policy allows the " + check.action + " action";
    throw ApiError("com.amazon.coral.service#AccessDeniedException", 400, std::move(message));
  }
}

}  // namespace

ApiError ApiError::FromStatus(const Status& status) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument: return Validation(status.message());
    case Status::Code::kNotFound: return ResourceNotFound(status.message());
    case Status::Code::kResourceInUse: return ResourceInUse(status.message());
    case Status::Code::kConditionFailed: return ConditionalCheckFailed(status.message());
    case Status::Code::kLimitExceeded: return LimitExceeded(status.message());
    default:
      spdlog::error("msg=\"internal error\" status=\"{}\"", status.ToString());
      return Internal("Internal server error");
  }
}

Result<store::WriteResult> WriteItem(const OpContext& ctx, const store::TableInfo& table,
                                     const model::AttributeValue& pk,
                                     const model::AttributeValue* sk, const store::MutationFn& fn) {
  auto written = ctx.store->WriteItem(
      table, pk, sk, fn,
      ctx.options->group_commit ? store::CommitMode::kDeferred : store::CommitMode::kNow);
  if (written.ok() && written->seq != 0) *ctx.commit_seq = written->seq;
  return written;
}

Api::Api(store::Store* store, ApiOptions options) : store_(store), options_(std::move(options)) {}

ApiResponse Api::Handle(std::string_view target, std::string_view body,
                        const security::AccessKey* principal) const {
  const auto found = FindOperation(target);
  const OpFn op = found.first;
  const std::string_view operation = found.second;
  std::string table;
  TakeUsage();  // nothing left by an earlier request on this thread
  TakeCharges();
  auto finish = [&](ApiResponse r) {
    r.operation = operation;
    r.table = std::move(table);
    r.usage = TakeUsage();
    std::vector<CapacityCharge> charges = TakeCharges();
    if (options_.limiter) options_.limiter->Charge(charges);
    return r;
  };
  try {
    if (!op) throw ApiError::UnknownOperation("");

    json::error_code ec;
    // The request tree lives only for this call: allocate it from a stack-backed arena.
    unsigned char arena[8192];
    json::monotonic_resource resource(arena, sizeof arena);
    json::parse_options parse_options;
    parse_options.max_depth = 256;  // 32 levels of M/L nest 2 JSON levels each
    json::value parsed =
        json::parse(body.empty() ? std::string_view("{}") : body, ec, &resource, parse_options);
    if (ec) throw ApiError::Serialization("Start of structure or map found where not expected.");
    if (!parsed.is_object())
      throw ApiError::Serialization("Start of list found where not expected");

    table = TableNameOf(parsed.get_object());
    CheckRequestShape(parsed.get_object());
    uint64_t commit_seq = 0;
    std::string raw_members;
    OpContext ctx{store_, &options_, &commit_seq, body, &raw_members};
    if (principal) Authorize(*principal, operation, parsed.get_object(), ctx);
    const AdmissionScope admission(options_.limiter, KindOf(operation));
    Response out = op(ctx, parsed.get_object());
    ApiResponse r;
    // DynamoDB answers these with an empty body, not "{}".
    if (operation != "TagResource" && operation != "UntagResource") {
      r.body = json::serialize(out);
      if (!raw_members.empty()) {
        r.body.insert(1, out.empty() ? raw_members : raw_members + ",");
      }
    }
    r.commit_seq = commit_seq;
    return finish(std::move(r));
  } catch (const ApiError& e) {
    if (e.http_status >= 500) spdlog::error("api {}: {}", target, e.message);
    return finish(ErrorResponse(e));
  } catch (const std::exception& e) {
    spdlog::error("api {}: unexpected exception: {}", target, e.what());
    return finish(ErrorResponse(ApiError::Internal("Internal server error")));
  }
}

}  // namespace meridian::api
