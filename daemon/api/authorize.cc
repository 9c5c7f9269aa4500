#include "daemon/api/authorize.h"

#include <boost/json.hpp>

#include <optional>
#include <span>

#include "common/base64.h"
#include "daemon/api/api_error.h"
#include "daemon/api/item_request.h"
#include "daemon/api/json_codec.h"
#include "daemon/api/stream_format.h"
#include "model/partiql.h"

namespace meridian::api {
namespace json = boost::json;
namespace {

constexpr std::string_view kLeadingKeys = "dynamodb:LeadingKeys";
constexpr std::string_view kAttributes = "dynamodb:Attributes";
constexpr std::string_view kSelect = "dynamodb:Select";
constexpr std::string_view kReturnValues = "dynamodb:ReturnValues";

std::string TableArn(const OpContext& ctx, std::string_view table) {
  return "arn:aws:dynamodb:" + ctx.options->region + ":" + ctx.options->account_id + ":table/" +
         std::string(table);
}

const json::object* ObjectMember(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v && v->is_object() ? &v->get_object() : nullptr;
}
std::string StringMember(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// A key value as IAM sees it: the string, the number's text, or base64 of the bytes.
std::optional<std::string> KeyText(const model::AttributeValue& v) {
  switch (v.type()) {
    case model::AttrType::kS: return v.s();
    case model::AttrType::kN: return v.n().ToString();
    case model::AttrType::kB: return Base64Encode(v.b());
    default: return std::nullopt;
  }
}

// The table's key schema, when the table exists.
std::shared_ptr<const store::TableInfo> FindTable(const OpContext& ctx, const std::string& name) {
  if (name.empty()) return nullptr;
  try {
    return LookupTable(ctx.store, name);
  } catch (const ApiError&) {
    return nullptr;
  }
}

// The partition key value of a Key or Item map.
void AddLeadingKey(const OpContext& ctx, const std::string& table, const json::object* map,
                   security::ConditionContext* context) {
  auto info = FindTable(ctx, table);
  if (!info || !map) return;
  const json::value* v = map->if_contains(info->partition_key.name);
  if (!v) return;
  try {
    if (auto text = KeyText(DecodeAttributeValue(*v))) context->Add(kLeadingKeys, *text);
  } catch (const ApiError&) {
  }
}

void AddNames(const json::object* map, security::ConditionContext* context) {
  if (!map) return;
  for (const auto& kv : *map) context->Add(kAttributes, std::string(kv.key()));
}

// The top-level names a ProjectionExpression/AttributesToGet reads, and the Select the
// read amounts to (explicit, else SPECIFIC_ATTRIBUTES with a projection, else
// ALL_ATTRIBUTES, or ALL_PROJECTED_ATTRIBUTES for an index).
void AddRead(const json::object& req, security::ConditionContext* context) {
  std::string select = StringMember(req, "Select");
  try {
    RequestExpressions exprs(req);
    if (auto paths = exprs.Projection("ProjectionExpression")) {
      for (const auto& path : *paths) context->Add(kAttributes, path.front().name);
      if (select.empty()) select = "SPECIFIC_ATTRIBUTES";
    }
  } catch (const ApiError&) {
  }
  if (select.empty()) {
    select = req.if_contains("IndexName") ? "ALL_PROJECTED_ATTRIBUTES" : "ALL_ATTRIBUTES";
  }
  context->Add(kSelect, select);
}

void AddReturnValues(const json::object& req, security::ConditionContext* context) {
  const std::string rv = StringMember(req, "ReturnValues");
  if (!rv.empty()) context->Add(kReturnValues, rv);
}

// The condition keys of one item operation on `table` (Put/Get/Update/Delete/ConditionCheck,
// alone or inside a transaction).
security::ConditionContext ItemContext(const OpContext& ctx, std::string_view op,
                                       const std::string& table, const json::object& req) {
  security::ConditionContext context;
  if (op == "PutItem") {
    const json::object* item = ObjectMember(req, "Item");
    AddLeadingKey(ctx, table, item, &context);
    AddNames(item, &context);
  } else {
    const json::object* key = ObjectMember(req, "Key");
    AddLeadingKey(ctx, table, key, &context);
    if (op == "GetItem") AddRead(req, &context);
    if (op == "UpdateItem") {
      AddNames(key, &context);
      AddNames(ObjectMember(req, "AttributeUpdates"), &context);
      try {
        RequestExpressions exprs(req);
        if (auto update = exprs.Update("UpdateExpression")) {
          for (const auto& path : model::expr::UpdatedPaths(*update)) {
            context.Add(kAttributes, path.front().name);
          }
        }
      } catch (const ApiError&) {
      }
    }
  }
  if (op != "GetItem" && op != "ConditionCheckItem") AddReturnValues(req, &context);
  return context;
}

// Query: the partition key value its key condition selects on the table or index.
void AddQueryLeadingKey(const OpContext& ctx, const std::string& table, const json::object& req,
                        security::ConditionContext* context) {
  auto info = FindTable(ctx, table);
  if (!info) return;
  std::string pk = info->partition_key.name;
  const std::string index = StringMember(req, "IndexName");
  if (!index.empty()) {
    const store::IndexInfo* found = info->FindIndex(index);
    if (!found) return;
    pk = found->partition_key.name;
  }
  try {
    RequestExpressions exprs(req);
    auto kc = exprs.KeyCondition("KeyConditionExpression");
    if (!kc) return;
    const model::AttributeValue* value = nullptr;
    if (kc->partition_name == pk) value = &kc->partition_value;
    if (!value && kc->sort && kc->sort->name == pk && kc->sort->op == model::expr::KeyOp::kEq)
      value = &kc->sort->value;
    if (value) {
      if (auto text = KeyText(*value)) context->Add(kLeadingKeys, *text);
    }
  } catch (const ApiError&) {
  }
}

std::vector<AccessCheck> BatchGet(const OpContext& ctx, const json::object& req) {
  std::vector<AccessCheck> checks;
  const json::object* items = ObjectMember(req, "RequestItems");
  if (!items) return checks;
  for (const auto& [table, value] : *items) {
    AccessCheck check{"dynamodb:BatchGetItem", TableArn(ctx, table), {}};
    if (value.is_object()) {
      const json::object& spec = value.get_object();
      if (const json::value* keys = spec.if_contains("Keys"); keys && keys->is_array()) {
        for (const auto& key : keys->get_array()) {
          if (key.is_object())
            AddLeadingKey(ctx, std::string(table), &key.get_object(), &check.context);
        }
      }
      AddRead(spec, &check.context);
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

std::vector<AccessCheck> BatchWrite(const OpContext& ctx, const json::object& req) {
  std::vector<AccessCheck> checks;
  const json::object* items = ObjectMember(req, "RequestItems");
  if (!items) return checks;
  for (const auto& [table, value] : *items) {
    AccessCheck check{"dynamodb:BatchWriteItem", TableArn(ctx, table), {}};
    if (value.is_array()) {
      for (const auto& request : value.get_array()) {
        if (!request.is_object()) continue;
        if (const json::object* put = ObjectMember(request.get_object(), "PutRequest")) {
          const json::object* item = ObjectMember(*put, "Item");
          AddLeadingKey(ctx, std::string(table), item, &check.context);
          AddNames(item, &check.context);
        }
        if (const json::object* del = ObjectMember(request.get_object(), "DeleteRequest")) {
          AddLeadingKey(ctx, std::string(table), ObjectMember(*del, "Key"), &check.context);
        }
      }
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

std::vector<AccessCheck> Transact(const OpContext& ctx, const json::object& req, bool write) {
  static constexpr std::pair<std::string_view, std::string_view> kWriteKinds[] = {
      {"ConditionCheck", "ConditionCheckItem"},
      {"Put", "PutItem"},
      {"Update", "UpdateItem"},
      {"Delete", "DeleteItem"}};
  static constexpr std::pair<std::string_view, std::string_view> kGetKinds[] = {{"Get", "GetItem"}};
  std::vector<AccessCheck> checks;
  const json::value* items = req.if_contains("TransactItems");
  if (!items || !items->is_array()) return checks;
  for (const auto& entry : items->get_array()) {
    if (!entry.is_object()) continue;
    using Kinds = std::span<const std::pair<std::string_view, std::string_view>>;
    for (const auto& [member, op] : write ? Kinds(kWriteKinds) : Kinds(kGetKinds)) {
      const json::object* spec = ObjectMember(entry.get_object(), member);
      if (!spec) continue;
      const std::string table = StringMember(*spec, "TableName");
      checks.push_back(AccessCheck{"dynamodb:" + std::string(op), TableArn(ctx, table),
                                   ItemContext(ctx, op, table, *spec)});
    }
  }
  return checks;
}

// ExecuteStatement, BatchExecuteStatement, ExecuteTransaction: dynamodb:PartiQLSelect /
// PartiQLInsert / PartiQLUpdate / PartiQLDelete on each statement's table (or index). A
// statement that does not parse needs nothing: the operation rejects it.
std::vector<AccessCheck> PartiQL(const OpContext& ctx, const json::object& req) {
  std::vector<const json::value*> texts;
  if (const json::value* one = req.if_contains("Statement")) texts.push_back(one);
  for (const char* member : {"Statements", "TransactStatements"}) {
    const json::value* list = req.if_contains(member);
    if (!list || !list->is_array()) continue;
    for (const auto& entry : list->get_array()) {
      if (entry.is_object()) {
        if (const json::value* text = entry.get_object().if_contains("Statement"))
          texts.push_back(text);
      }
    }
  }
  std::vector<AccessCheck> checks;
  for (const json::value* text : texts) {
    if (!text->is_string()) continue;
    auto parsed = model::partiql::Parse(text->get_string());
    if (!parsed.ok()) continue;
    using Kind = model::partiql::Statement::Kind;
    const char* action = parsed->kind == Kind::kInsert   ? "dynamodb:PartiQLInsert"
                         : parsed->kind == Kind::kUpdate ? "dynamodb:PartiQLUpdate"
                         : parsed->kind == Kind::kDelete ? "dynamodb:PartiQLDelete"
                                                         : "dynamodb:PartiQLSelect";
    std::string resource = TableArn(ctx, parsed->table);
    if (parsed->index) resource += "/index/" + *parsed->index;
    checks.push_back(AccessCheck{action, std::move(resource), {}});
  }
  return checks;
}

// The stream a Streams request names (its StreamArn, or the one inside its ShardIterator).
std::string StreamResource(std::string_view operation, const json::object& req) {
  if (operation == "ListStreams") return "*";
  if (operation == "GetRecords") {
    auto it = DecodeShardIterator(StringMember(req, "ShardIterator"));
    return it ? it->stream_arn : "*";
  }
  return StringMember(req, "StreamArn");
}

}  // namespace

std::vector<AccessCheck> RequiredAccess(std::string_view operation, const Request& req,
                                        const OpContext& ctx, bool condition_keys) {
  const std::string action = "dynamodb:" + std::string(operation);
  if (operation == "BatchGetItem") return BatchGet(ctx, req);
  if (operation == "BatchWriteItem") return BatchWrite(ctx, req);
  if (operation == "TransactWriteItems") return Transact(ctx, req, true);
  if (operation == "TransactGetItems") return Transact(ctx, req, false);
  if (operation == "ExecuteStatement" || operation == "BatchExecuteStatement" ||
      operation == "ExecuteTransaction") {
    return PartiQL(ctx, req);
  }
  if (operation == "ListTables" || operation == "DescribeLimits" ||
      operation == "DescribeEndpoints" || operation == "ListBackups" ||
      operation == "ListExports" || operation == "ListImports") {
    return {AccessCheck{action, "*", {}}};
  }
  if (operation == "ListStreams" || operation == "DescribeStream" ||
      operation == "GetShardIterator" || operation == "GetRecords") {
    return {AccessCheck{action, StreamResource(operation, req), {}}};
  }
  if (operation == "TagResource" || operation == "UntagResource" ||
      operation == "ListTagsOfResource") {
    return {AccessCheck{action, StringMember(req, "ResourceArn"), {}}};
  }
  // Backups and jobs: the resource is the ARN the request names (a table's for creations).
  if (operation == "DescribeBackup" || operation == "DeleteBackup") {
    return {AccessCheck{action, StringMember(req, "BackupArn"), {}}};
  }
  if (operation == "RestoreTableFromBackup") {
    return {AccessCheck{action, TableArn(ctx, StringMember(req, "TargetTableName")), {}}};
  }
  if (operation == "RestoreTableToPointInTime") {
    const std::string arn = StringMember(req, "SourceTableArn");
    return {AccessCheck{
        action, arn.empty() ? TableArn(ctx, StringMember(req, "SourceTableName")) : arn, {}}};
  }
  if (operation == "ExportTableToPointInTime") {
    return {AccessCheck{action, StringMember(req, "TableArn"), {}}};
  }
  if (operation == "DescribeExport")
    return {AccessCheck{action, StringMember(req, "ExportArn"), {}}};
  if (operation == "DescribeImport")
    return {AccessCheck{action, StringMember(req, "ImportArn"), {}}};
  if (operation == "ImportTable") {
    const json::object* params = ObjectMember(req, "TableCreationParameters");
    return {
        AccessCheck{action, TableArn(ctx, params ? StringMember(*params, "TableName") : ""), {}}};
  }
  const std::string table = StringMember(req, "TableName");
  std::string resource = TableArn(ctx, table);
  security::ConditionContext context;
  if (operation == "PutItem" || operation == "GetItem" || operation == "UpdateItem" ||
      operation == "DeleteItem") {
    if (condition_keys) context = ItemContext(ctx, operation, table, req);
  } else if (operation == "Query" || operation == "Scan") {
    const std::string index = StringMember(req, "IndexName");
    if (!index.empty()) resource += "/index/" + index;
    if (condition_keys) {
      if (operation == "Query") AddQueryLeadingKey(ctx, table, req, &context);
      AddRead(req, &context);
    }
  }
  return {AccessCheck{action, std::move(resource), std::move(context)}};
}

}  // namespace meridian::api
