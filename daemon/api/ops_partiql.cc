// ExecuteStatement, BatchExecuteStatement and ExecuteTransaction: PartiQL statements run as
// the item operations partiql_translate.h maps them to, so they write, replicate, index,
// stream and charge capacity exactly as those do.
#include <boost/json.hpp>

#include <set>

#include "common/base64.h"
#include "daemon/api/api_error.h"
#include "daemon/api/capacity_limiter.h"
#include "daemon/api/item_request.h"
#include "daemon/api/json_codec.h"
#include "daemon/api/operations.h"
#include "daemon/api/partiql_translate.h"
#include "daemon/api/request.h"

namespace meridian::api {
namespace json = boost::json;
using model::AttributeValue;
using model::partiql::Statement;

namespace {

constexpr size_t kMaxBatchStatements = 25;
constexpr size_t kMaxTransactStatements = 100;

ApiError DuplicateItem() {
  return ApiError::Service("DuplicateItemException", "Duplicate primary key exists in table");
}

bool IsConditionFailure(const ApiError& e) {
  return e.type.ends_with("#ConditionalCheckFailedException");
}

// Runs one write statement's operation; an INSERT whose key exists is DuplicateItem.
Response RunWrite(const OpContext& ctx, const Statement& s, const WritePlan& plan) {
  try {
    if (plan.operation == "PutItem") return PutItem(ctx, plan.request);
    if (plan.operation == "UpdateItem") return UpdateItem(ctx, plan.request);
    if (plan.operation == "DeleteItem") return DeleteItem(ctx, plan.request);
  } catch (const ApiError& e) {
    if (s.kind == Statement::Kind::kInsert && IsConditionFailure(e)) throw DuplicateItem();
    throw;
  }
  throw ApiError::Validation("EXISTS can only be used in ExecuteTransaction write requests.");
}

// GetItem into a JSON value: the item, or null when there is none.
json::value RunGet(const OpContext& ctx, const json::object& request, Response* out) {
  std::string raw;
  OpContext sub = ctx;
  sub.raw_members = &raw;
  *out = GetItem(sub, request);
  constexpr std::string_view kItem = "\"Item\":";
  if (raw.compare(0, kItem.size(), kItem) != 0) return nullptr;
  return json::parse(std::string_view(raw).substr(kItem.size()));
}

void CopyMember(const Request& from, const char* name, json::object* to) {
  if (const json::value* v = Member(from, name)) (*to)[name] = *v;
}

// A digest of the statement a NextToken belongs to (FNV-1a).
uint64_t StatementDigest(std::string_view statement) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : statement) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// NextToken: the Query/Scan LastEvaluatedKey (and, for `pk IN [...]`, which partition) as
// base64 JSON, with the digest of its statement.
std::string EncodeToken(std::string_view statement, size_t partition, const json::value& last_key) {
  return Base64Encode(json::serialize(
      json::object{{"h", StatementDigest(statement)}, {"p", partition}, {"k", last_key}}));
}

struct Resume {
  size_t partition = 0;
  const json::value* start = nullptr;  // ExclusiveStartKey
  json::value holder;
};

void DecodeToken(const Request& req, std::string_view statement, Resume* resume) {
  auto token = OptionalString(req, "NextToken");
  if (!token) return;
  std::string text;
  json::error_code ec;
  if (Base64Decode(*token, &text)) resume->holder = json::parse(text, ec);
  const json::object* obj = ec ? nullptr : resume->holder.if_object();
  const json::value* p = obj ? obj->if_contains("p") : nullptr;
  const json::value* k = obj ? obj->if_contains("k") : nullptr;
  const json::value* h = obj ? obj->if_contains("h") : nullptr;
  if (!p || !(p->is_uint64() || p->is_int64()) || !k || !k->is_object() || !h ||
      !(h->is_uint64() || h->is_int64())) {
    throw ApiError::Validation("Invalid NextToken");
  }
  if (h->to_number<uint64_t>() != StatementDigest(statement)) {
    throw ApiError::Validation("NextToken does not match request");
  }
  resume->partition = static_cast<size_t>(p->to_number<uint64_t>());
  resume->start = k;
}

// The SELECT's projection applied to out["Items"].
void Project(const Statement& s, Response* out) {
  if (s.projection.empty()) return;
  for (auto& item : (*out)["Items"].as_array()) item = ProjectItem(item.as_object(), s.projection);
}

// A SELECT: one GetItem, one Query or Scan page, or Query pages over the partitions of
// `pk IN [...]`.
Response RunSelect(const OpContext& ctx, const Request& req, std::string_view text,
                   const Statement& s, const std::vector<AttributeValue>& params,
                   const store::TableInfo& table) {
  ReadPlan plan = PlanSelect(s, params, table);
  json::object& sub = plan.request;
  CopyMember(req, "ConsistentRead", &sub);
  CopyMember(req, "ReturnConsumedCapacity", &sub);
  auto limit = OptionalInt(req, "Limit");
  if (limit && *limit < 1) {
    throw ApiError::Validation(
        "1 validation error detected: Value '" + std::to_string(*limit) +
        "' at 'limit' failed to satisfy constraint: Member must have value greater than or "
        "equal to 1");
  }
  Response out;
  if (plan.kind == ReadPlan::Kind::kGet) {
    // GetItem's read; the item written as JSON straight from the store's copy.
    AdmitRead(table, nullptr);
    const store::ItemView item =
        ReadForGet(ctx, table, plan.key, OptionalBool(req, "ConsistentRead").value_or(false),
                   ParseCapacityMode(req), &out);
    if (!s.projection.empty()) {
      json::array items;
      if (item.has_value()) items.push_back(ProjectItem(EncodeItem(*item), s.projection));
      out["Items"] = std::move(items);
      return out;
    }
    AddRawMember(ctx, "Items", [&](JsonWriter& w) {
      w.StartArray();
      if (item.has_value()) w.Item(*item);
      w.EndArray();
    });
    return out;
  }
  Resume resume;
  DecodeToken(req, text, &resume);
  if (resume.start && !resume.start->as_object().empty()) sub["ExclusiveStartKey"] = *resume.start;
  const bool in_list = !plan.partitions.empty();
  if (!in_list) {
    if (limit) sub["Limit"] = *limit;
    Response page = plan.kind == ReadPlan::Kind::kQuery ? Query(ctx, sub) : Scan(ctx, sub);
    out["Items"] = std::move(page["Items"]);
    if (const json::value* last = page.if_contains("LastEvaluatedKey"))
      out["NextToken"] = EncodeToken(text, 0, *last);
    if (const json::value* c = page.if_contains("ConsumedCapacity")) out["ConsumedCapacity"] = *c;
    Project(s, &out);
    return out;
  }
  // One Query per partition key value, resuming where the token says.
  json::array items;
  double units = 0;
  bool capacity = false;
  for (size_t i = resume.partition; i < plan.partitions.size(); ++i) {
    json::value& values = sub["ExpressionAttributeValues"];
    if (!values.is_object()) values = json::object();
    values.as_object()[":pk"] = EncodeAttributeValue(plan.partitions[i]);
    const int64_t left = limit ? *limit - static_cast<int64_t>(items.size()) : 0;
    if (limit) sub["Limit"] = left;
    Response page = Query(ctx, sub);
    sub.erase("ExclusiveStartKey");
    for (auto& item : page["Items"].as_array()) items.push_back(std::move(item));
    if (const json::value* c = page.if_contains("ConsumedCapacity")) {
      capacity = true;
      units += c->as_object().at("CapacityUnits").to_number<double>();
    }
    const json::value* last = page.if_contains("LastEvaluatedKey");
    const bool full = limit && static_cast<int64_t>(items.size()) >= *limit;
    if (last || (full && i + 1 < plan.partitions.size())) {
      // Stopped inside this partition, or at its end with the limit reached.
      out["NextToken"] =
          last ? EncodeToken(text, i, *last) : EncodeToken(text, i + 1, json::object());
      break;
    }
  }
  out["Items"] = std::move(items);
  if (capacity)
    out["ConsumedCapacity"] = json::object{{"TableName", table.name}, {"CapacityUnits", units}};
  Project(s, &out);
  return out;
}

// Statements must be all reads or all writes (EXISTS goes with writes); `mixed` is the
// ValidationException's message otherwise.
template <typename Statements, typename IsRead>
bool AllReads(const Statements& statements, IsRead is_read, const char* mixed) {
  std::optional<bool> reads;
  for (const auto& s : statements) {
    const std::optional<bool> r = is_read(s);
    if (!r) continue;
    if (reads && *reads != *r) throw ApiError::Validation(mixed);
    reads = r;
  }
  return reads.value_or(false);
}

// The statement list member: present, 1 to `max` entries.
const json::array& StatementList(const Request& req, const char* member, const char* path,
                                 size_t max) {
  const json::value* v = Member(req, member);
  if (!v) {
    throw ApiError::Validation("1 validation error detected: Value null at '" + std::string(path) +
                               "' failed to satisfy constraint: Member must not be null");
  }
  const json::array& list = ExpectArray(*v, member);
  if (list.empty() || list.size() > max) {
    throw ApiError::Validation("1 validation error detected: Value '" + json::serialize(list) +
                               "' at '" + path +
                               "' failed to satisfy constraint: Member must have length " +
                               (list.empty() ? "greater than or equal to 1"
                                             : "less than or equal to " + std::to_string(max)));
  }
  return list;
}

// BatchExecuteStatement's error code of an operation error.
std::string BatchErrorCode(const ApiError& e) {
  const std::string name = e.type.substr(e.type.find('#') + 1);
  static const std::pair<const char*, const char*> kCodes[] = {
      {"ConditionalCheckFailedException", "ConditionalCheckFailed"},
      {"DuplicateItemException", "DuplicateItem"},
      {"ResourceNotFoundException", "ResourceNotFound"},
      {"ValidationException", "ValidationError"},
      {"TransactionConflictException", "TransactionConflict"},
      {"ProvisionedThroughputExceededException", "ProvisionedThroughputExceeded"},
      {"ThrottlingException", "ThrottlingError"},
      {"RequestLimitExceeded", "RequestLimitExceeded"},
      {"AccessDeniedException", "AccessDenied"},
      {"ItemCollectionSizeLimitExceededException", "ItemCollectionSizeLimitExceeded"},
      {"SerializationException", "ValidationError"},
  };
  for (const auto& [type, code] : kCodes) {
    if (name == type) return code;
  }
  return "InternalServerError";
}

// Sums the ConsumedCapacity of one operation's reply into per-table totals.
void AddCapacity(const Response& reply, std::map<std::string, double>* totals) {
  const json::value* c = reply.if_contains("ConsumedCapacity");
  if (!c || !c->is_object()) return;
  const json::object& o = c->as_object();
  (*totals)[std::string(o.at("TableName").as_string())] +=
      o.at("CapacityUnits").to_number<double>();
}

json::array CapacityList(const std::map<std::string, double>& totals) {
  json::array out;
  for (const auto& [table, units] : totals)
    out.push_back(json::object{{"TableName", table}, {"CapacityUnits", units}});
  return out;
}

// BatchExecuteStatement refuses a batch that names one item twice, as a whole. Statements
// that cannot be planned are left to fail on their own.
void ThrowIfOneItemTwice(const OpContext& ctx, const json::array& list,
                         const std::vector<std::optional<Statement>>& statements) {
  std::set<std::string> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!statements[i]) continue;
    const Statement& s = *statements[i];
    std::string key;
    try {
      auto table = ctx.store->GetTable(s.table);
      if (!table.ok()) continue;
      const auto params = BindParameters(Member(list[i].as_object(), "Parameters"), s);
      json::object request =
          s.is_read() ? PlanKeyRead(s, params, **table, "") : PlanWrite(s, params, **table).request;
      json::object k;
      if (const json::value* item = request.if_contains("Item")) {
        for (const auto* attr :
             {&(*table)->partition_key, (*table)->sort_key ? &*(*table)->sort_key : nullptr}) {
          if (!attr) continue;
          if (const json::value* v = item->as_object().if_contains(attr->name)) k[attr->name] = *v;
        }
      } else if (const json::value* given = request.if_contains("Key")) {
        k = given->as_object();
      }
      key = s.table + '\n' + json::serialize(k);
    } catch (const ApiError&) {
      continue;
    }
    if (!seen.insert(std::move(key)).second) {
      throw ApiError::Validation("Provided list of item keys contains duplicates");
    }
  }
}

}  // namespace

Response ExecuteStatement(const OpContext& ctx, const Request& req) {
  const std::string text = RequiredString(req, "Statement", "statement");
  const auto parsed = ParseStatement(text);
  const Statement& s = *parsed;
  const auto params = BindParameters(Member(req, "Parameters"), s);
  // A SELECT is admitted by what it reads (the table or its index); a write by its table.
  const AdmissionScope admission(s.is_read() ? AccessKind::kIndexedRead : AccessKind::kWrite);
  auto table = LookupTable(ctx.store, s.table);
  if (s.is_read()) return RunSelect(ctx, req, text, s, params, *table);
  WritePlan plan = PlanWrite(s, params, *table);
  CopyMember(req, "ReturnConsumedCapacity", &plan.request);
  CopyMember(req, "ReturnValuesOnConditionCheckFailure", &plan.request);
  Response reply = RunWrite(ctx, s, plan);
  Response out;
  json::array items;
  if (json::value* attributes = reply.if_contains("Attributes"))
    items.push_back(std::move(*attributes));
  out["Items"] = std::move(items);
  if (json::value* c = reply.if_contains("ConsumedCapacity"))
    out["ConsumedCapacity"] = std::move(*c);
  return out;
}

Response BatchExecuteStatement(const OpContext& ctx, const Request& req) {
  const json::array& list = StatementList(req, "Statements", "statements", kMaxBatchStatements);
  const bool capacity = OptionalString(req, "ReturnConsumedCapacity").value_or("NONE") != "NONE";
  // Parse everything first: reads and writes together are refused as a whole; a statement
  // that does not parse fails alone.
  std::vector<std::optional<Statement>> statements;
  std::vector<std::optional<ApiError>> errors;
  for (const auto& entry : list) {
    const json::object& e = ExpectObject(entry, "BatchStatementRequest");
    try {
      statements.emplace_back(
          *ParseStatement(RequiredString(e, "Statement", "statements.member.statement")));
      errors.emplace_back();
    } catch (const ApiError& error) {
      statements.emplace_back();
      errors.emplace_back(error);
    }
  }
  AllReads(
      statements,
      [](const std::optional<Statement>& s) {
        return s ? std::optional<bool>(s->is_read()) : std::nullopt;
      },
      "Read and write requests together in the same batch is not supported.");
  const bool reads = std::any_of(statements.begin(), statements.end(),
                                 [](const auto& s) { return s && s->is_read(); });
  ThrowIfOneItemTwice(ctx, list, statements);
  const AdmissionScope admission(reads ? AccessKind::kRead : AccessKind::kWrite);
  std::map<std::string, double> totals;
  json::array responses;
  for (size_t i = 0; i < list.size(); ++i) {
    const json::object& e = list[i].as_object();
    json::object response;
    try {
      if (errors[i]) throw *errors[i];
      const Statement& s = *statements[i];
      const auto params = BindParameters(Member(e, "Parameters"), s);
      auto table = LookupTable(ctx.store, s.table);
      Response reply;
      if (s.is_read()) {
        json::object get = PlanKeyRead(
            s, params, *table,
            "Select statements within BatchExecuteStatement must specify the primary key in the "
            "where clause.");
        CopyMember(e, "ConsistentRead", &get);
        if (capacity) get["ReturnConsumedCapacity"] = "TOTAL";
        json::value item = RunGet(ctx, get, &reply);
        if (!item.is_null()) {
          response["Item"] =
              s.projection.empty() ? std::move(item) : ProjectItem(item.as_object(), s.projection);
        }
      } else {
        WritePlan plan = PlanWrite(s, params, *table);
        if (capacity) plan.request["ReturnConsumedCapacity"] = "TOTAL";
        CopyMember(e, "ReturnValuesOnConditionCheckFailure", &plan.request);
        reply = RunWrite(ctx, s, plan);
        if (json::value* attributes = reply.if_contains("Attributes"))
          response["Item"] = std::move(*attributes);
      }
      response["TableName"] = s.table;
      AddCapacity(reply, &totals);
    } catch (const ApiError& error) {
      json::object err{{"Code", BatchErrorCode(error)}, {"Message", error.message}};
      for (const auto& [name, value] : error.members) {
        if (name == "Item") err["Item"] = json::parse(value);
      }
      response["Error"] = std::move(err);
    }
    responses.push_back(std::move(response));
  }
  Response out;
  out["Responses"] = std::move(responses);
  if (capacity) out["ConsumedCapacity"] = CapacityList(totals);
  return out;
}

namespace {

// Renames INSERT cancellations: an INSERT whose key exists is DuplicateItem, not
// ConditionalCheckFailed.
void RenameDuplicates(const std::vector<Statement>& statements, ApiError* e) {
  for (auto& [name, value] : e->members) {
    if (name != "CancellationReasons") continue;
    json::value reasons = json::parse(value);
    std::string codes;
    for (size_t i = 0; i < reasons.as_array().size() && i < statements.size(); ++i) {
      json::object& r = reasons.as_array()[i].as_object();
      if (statements[i].kind == Statement::Kind::kInsert &&
          r["Code"].as_string() == "ConditionalCheckFailed") {
        r["Code"] = "DuplicateItem";
        r["Message"] = "Duplicate primary key exists in table";
        r.erase("Item");
      }
      codes += (codes.empty() ? "" : ", ") + std::string(r["Code"].as_string());
    }
    value = json::serialize(reasons);
    e->message = "Transaction cancelled, please refer cancellation reasons for specific reasons [" +
                 codes + "]";
  }
}

}  // namespace

Response ExecuteTransaction(const OpContext& ctx, const Request& req) {
  const json::array& list =
      StatementList(req, "TransactStatements", "transactStatements", kMaxTransactStatements);
  std::vector<Statement> statements;
  std::vector<std::vector<AttributeValue>> params;
  // A statement's own validation errors name it.
  auto in_statement = [](size_t i, auto&& fn) {
    try {
      return fn();
    } catch (ApiError& e) {
      if (e.type.ends_with("#ValidationException")) {
        e.message =
            "Validation failed in TransactStatements[" + std::to_string(i) + "]: " + e.message;
      }
      throw;
    }
  };
  for (size_t i = 0; i < list.size(); ++i) {
    const json::object& e = ExpectObject(list[i], "ParameterizedStatement");
    statements.push_back(in_statement(i, [&] {
      Statement s =
          *ParseStatement(RequiredString(e, "Statement", "transactStatements.member.statement"));
      if (!s.returning.empty())
        throw ApiError::Validation("RETURNING clause is not supported in ExecuteTransaction.");
      if (s.is_read() && s.index)
        throw ApiError::Validation("Reads on indices are not supported within transactions.");
      return s;
    }));
    params.push_back(in_statement(
        i, [&] { return BindParameters(Member(e, "Parameters"), statements.back()); }));
  }
  const bool reads = AllReads(
      statements, [](const Statement& s) { return std::optional<bool>(s.is_read()); },
      "ExecuteTransaction API does not support both read and write operations in the same "
      "request.");
  const AdmissionScope admission(reads ? AccessKind::kRead : AccessKind::kWrite);
  json::array items;
  for (size_t i = 0; i < statements.size(); ++i) {
    const Statement& s = statements[i];
    auto table = LookupTable(ctx.store, s.table);
    if (reads) {
      items.push_back(json::object{{"Get", in_statement(i, [&] {
                                      return PlanKeyRead(
                                          s, params[i], *table,
                                          "Select statements within ExecuteTransaction must "
                                          "specify the primary key in the where clause.");
                                    })}});
      continue;
    }
    WritePlan plan = in_statement(i, [&] { return PlanWrite(s, params[i], *table); });
    CopyMember(list[i].as_object(), "ReturnValuesOnConditionCheckFailure", &plan.request);
    const char* kind = plan.operation == "PutItem"      ? "Put"
                       : plan.operation == "UpdateItem" ? "Update"
                       : plan.operation == "DeleteItem" ? "Delete"
                                                        : "ConditionCheck";
    items.push_back(json::object{{kind, std::move(plan.request)}});
  }
  Request sub;
  sub["TransactItems"] = std::move(items);
  CopyMember(req, "ReturnConsumedCapacity", &sub);
  if (reads) {  // the SDKs send a ClientRequestToken with reads too: nothing to make idempotent
    Response out = TransactGetItems(ctx, sub);
    for (size_t i = 0; i < statements.size(); ++i) {
      json::object& r = out["Responses"].as_array()[i].as_object();
      if (json::value* item = r.if_contains("Item"); item && !statements[i].projection.empty())
        *item = ProjectItem(item->as_object(), statements[i].projection);
    }
    return out;
  }
  CopyMember(req, "ClientRequestToken", &sub);
  try {
    Response out = TransactWriteItems(ctx, sub);
    out.erase("ItemCollectionMetrics");
    out["Responses"] = json::array();
    return out;
  } catch (ApiError& e) {
    RenameDuplicates(statements, &e);
    throw;
  }
}

}  // namespace meridian::api
