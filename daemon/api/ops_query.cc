// Query and Scan: key ranges over the ordered item keys, Limit, the 1 MB page limit,
// FilterExpression, ProjectionExpression, Select and parallel scan segments, on the table or
// on one of its secondary indexes (query_index.h).
#include <boost/json.hpp>

#include "daemon/api/api_error.h"
#include "daemon/api/capacity.h"
#include "daemon/api/item_request.h"
#include "daemon/api/json_codec.h"
#include "daemon/api/operations.h"
#include "daemon/api/query_index.h"
#include "daemon/api/request.h"
#include "model/expression_ast.h"
#include "store/index_codec.h"
#include "store/store.h"

namespace meridian::api {
namespace json = boost::json;
using model::AttributeValue;
using model::expr::KeyOp;

namespace {

constexpr size_t kPageBytes = size_t{1} << 20;

struct ReadOptions {
  std::optional<int64_t> limit;
  std::string select = "ALL_ATTRIBUTES";
  model::expr::Condition filter;
  std::optional<std::vector<model::expr::Path>> projection;
  std::optional<model::Item> exclusive_start;
  bool consistent = false;
  CapacityMode capacity = CapacityMode::kNone;
};

ReadOptions ParseReadOptions(const Request& req, RequestExpressions* exprs,
                             ConstraintErrors* errors) {
  ReadOptions o;
  bool select_given = false;
  o.limit = OptionalInt(req, "Limit");
  if (o.limit && *o.limit < 1) {
    errors->Add(std::to_string(*o.limit), "limit",
                "Member must have value greater than or equal to 1");
  }
  if (auto select = OptionalString(req, "Select")) {
    if (*select != "ALL_ATTRIBUTES" && *select != "ALL_PROJECTED_ATTRIBUTES" &&
        *select != "SPECIFIC_ATTRIBUTES" && *select != "COUNT") {
      errors->Add("'" + *select + "'", "select",
                  "Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, "
                  "ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]");
    } else {
      o.select = *select;
      select_given = true;
    }
  }
  o.consistent = OptionalBool(req, "ConsistentRead").value_or(false);
  o.capacity = ParseCapacityMode(req);
  if (const json::value* esk = Member(req, "ExclusiveStartKey"))
    o.exclusive_start = DecodeItem(*esk);
  o.filter = exprs->Condition("FilterExpression");
  o.projection = exprs->Projection("ProjectionExpression");
  // With a projection, only SPECIFIC_ATTRIBUTES (or no Select) is allowed.
  if (o.projection && select_given && o.select != "SPECIFIC_ATTRIBUTES") {
    throw ApiError::Validation(
        "Cannot specify the AttributesToGet or ProjectionExpression when choosing to get " +
        o.select);
  }
  if (o.projection && !Member(req, "Select")) o.select = "SPECIFIC_ATTRIBUTES";
  if (o.select == "SPECIFIC_ATTRIBUTES" && !o.projection) {
    throw ApiError::Validation(
        "Select type SPECIFIC_ATTRIBUTES requires ProjectionExpression or AttributesToGet");
  }
  return o;
}

// Does a read of an LSI fetch attributes it does not project from the table? DynamoDB then
// also charges a read of every fetched item, whole (LSI "provisioned throughput
// considerations").
bool FetchesFromTable(const ReadTarget& target, const ReadOptions& o) {
  const store::IndexInfo* index = target.index;
  if (!index || !index->local || index->projection_type == store::ProjectionType::kAll)
    return false;
  if (o.select == "ALL_PROJECTED_ATTRIBUTES" || o.select == "COUNT") return false;
  if (!o.projection) return true;  // ALL_ATTRIBUTES
  for (const auto& path : *o.projection) {
    if (!store::IndexProjects(*target.table, *index, path.front().name)) return true;
  }
  return false;
}

// Reads `range` of the target collecting a page with DynamoDB's Limit / 1 MB / filter
// semantics.
Response ReadPage(const OpContext& ctx, const ReadTarget& target, const ReadOptions& o,
                  store::RangeQuery range) {
  json::array items;
  int64_t scanned = 0, count = 0;
  size_t bytes = 0;
  std::optional<model::Item> last_key;
  bool more = false;
  Status filter_error;
  const bool fetches = o.capacity != CapacityMode::kNone && FetchesFromTable(target, o);
  size_t index_bytes = 0;
  double table_units = 0;
  range.index = target.index;
  range.exclusive_start = o.exclusive_start;
  auto status = ctx.store->Range(*target.table, range, [&](const model::Item& stored) {
    if ((o.limit && scanned >= *o.limit) || bytes >= kPageBytes) {
      more = true;
      return false;
    }
    const model::Item item = VisibleItem(target, stored, o.select);
    ++scanned;
    bytes += model::ItemByteSize(item);
    if (fetches) {
      index_bytes +=
          model::ItemByteSize(store::ProjectForIndex(*target.table, *target.index, stored));
      table_units += ReadUnits(model::ItemByteSize(stored), o.consistent);
    }
    last_key = LastEvaluatedKey(target, item);
    if (o.filter) {
      auto keep = model::expr::EvaluateCondition(*o.filter, item);
      if (!keep.ok()) {
        filter_error = keep.status();
        return false;
      }
      if (!*keep) return true;
    }
    ++count;
    if (o.select != "COUNT") {
      // (Not one EncodeItem of a conditional: that would copy every unprojected item.)
      items.push_back(o.projection ? EncodeItem(model::expr::Project(item, *o.projection))
                                   : EncodeItem(item));
    }
    return true;
  });
  ThrowIfError(status);
  ThrowIfError(filter_error);
  // DynamoDB reports LastEvaluatedKey whenever the page stopped at Limit, even at the end.
  if (o.limit && scanned >= *o.limit) more = true;
  Response out;
  if (o.select != "COUNT") out["Items"] = std::move(items);
  out["Count"] = count;
  out["ScannedCount"] = scanned;
  if (more && last_key) out["LastEvaluatedKey"] = EncodeItem(*last_key);
  Consumed consumed =
      ReadConsumed(target.index, ReadUnits(fetches ? index_bytes : bytes, o.consistent));
  if (fetches) consumed.table = table_units;
  AddConsumedCapacity(&out, o.capacity, target.table->name, consumed);
  return out;
}

const AttributeValue& CheckKeyConditionValue(const store::KeyAttribute& attr,
                                             const AttributeValue& v) {
  if (!store::MatchesKeyType(v, attr.type)) {
    throw ApiError::Validation(
        "One or more parameter values were invalid: Condition parameter type does not match "
        "schema type");
  }
  return v;
}

// The partition and sort-key condition a KeyConditionExpression selects, after DynamoDB's
// checks against the schema of what is read.
store::RangeQuery KeyRange(const ReadTarget& target, model::expr::KeyCondition kc) {
  // The parser cannot know the schema: "sk = :a AND pk = :b" arrives with the roles swapped.
  if (kc.sort && kc.sort->op == KeyOp::kEq && kc.sort->name == target.partition_key.name &&
      kc.partition_name != target.partition_key.name) {
    std::swap(kc.partition_name, kc.sort->name);
    std::swap(kc.partition_value, kc.sort->value);
    if (kc.partition_name.empty()) kc.sort.reset();
  }
  if (kc.partition_name.empty() && kc.sort && kc.sort->name == target.partition_key.name) {
    throw ApiError::Validation("Query key condition not supported");  // not an equality
  }
  if (kc.partition_name != target.partition_key.name) {
    throw ApiError::Validation("Query condition missed key schema element: " +
                               target.partition_key.name);
  }
  store::RangeQuery range;
  range.partition = CheckKeyConditionValue(target.partition_key, kc.partition_value);
  if (!kc.sort) return range;
  const auto& sc = *kc.sort;
  if (!target.sort_key || sc.name != target.sort_key->name) {
    throw ApiError::Validation(
        "Query condition missed key schema element: " +
        (target.sort_key ? target.sort_key->name : target.partition_key.name));
  }
  CheckKeyConditionValue(*target.sort_key, sc.value);
  if (sc.op == KeyOp::kBeginsWith && target.sort_key->type == store::KeyType::kN) {
    throw ApiError::Validation(
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
        "operator or function: begins_with, operand type: N");
  }
  using Op = store::SortKeyCondition::Op;
  store::SortKeyCondition cond;
  cond.value = sc.value;
  switch (sc.op) {
    case KeyOp::kEq: cond.op = Op::kEq; break;
    case KeyOp::kLt: cond.op = Op::kLt; break;
    case KeyOp::kLe: cond.op = Op::kLe; break;
    case KeyOp::kGt: cond.op = Op::kGt; break;
    case KeyOp::kGe: cond.op = Op::kGe; break;
    case KeyOp::kBeginsWith: cond.op = Op::kBeginsWith; break;
    case KeyOp::kBetween:
      CheckKeyConditionValue(*target.sort_key, sc.value2);
      if (model::expr::CompareScalars(sc.value, sc.value2) > 0) {
        throw ApiError::Validation(
            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be "
            "greater than or equal to lower bound; lower bound operand: AttributeValue: {" +
            std::string(model::TypeName(sc.value.type())) +
            ":...}, upper bound operand: "
            "AttributeValue: {" +
            model::TypeName(sc.value2.type()) + ":...}");
      }
      cond.op = Op::kBetween;
      cond.upper = sc.value2;
      break;
  }
  range.sort = std::move(cond);
  return range;
}

}  // namespace

Response Query(const OpContext& ctx, const Request& req) {
  const std::string name = RequireTableName(req);
  RequestExpressions exprs(req);
  auto kc = exprs.KeyCondition("KeyConditionExpression");
  ConstraintErrors errors;
  ReadOptions o = ParseReadOptions(req, &exprs, &errors);
  errors.ThrowIfAny();
  exprs.CheckAllUsed();
  if (!kc) {
    throw ApiError::Validation(
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
        "request.");
  }
  const bool forward = OptionalBool(req, "ScanIndexForward").value_or(true);
  auto table = LookupTable(ctx.store, name);
  const ReadTarget target =
      ResolveReadTarget(req, *ctx.store, *table, o.consistent, o.projection.has_value(), &o.select);
  if (o.filter) {
    for (const auto& path : model::expr::ConditionPaths(*o.filter)) {
      const std::string& top = path.front().name;
      if (top == target.partition_key.name || (target.sort_key && top == target.sort_key->name)) {
        throw ApiError::Validation(
            (Member(req, "FilterExpression")
                 ? "Filter Expression can only contain non-primary key attributes: "
                 : "QueryFilter can only contain non-key attributes: ") +
            std::string("Primary key attribute: ") + top);
      }
    }
  }
  store::RangeQuery range = KeyRange(target, *kc);
  if (o.exclusive_start) CheckStartKey(target, *o.exclusive_start);
  range.reverse = !forward;
  return ReadPage(ctx, target, o, std::move(range));
}

Response Scan(const OpContext& ctx, const Request& req) {
  const std::string name = RequireTableName(req);
  RequestExpressions exprs(req);
  ConstraintErrors errors;
  ReadOptions o = ParseReadOptions(req, &exprs, &errors);
  auto segment = OptionalInt(req, "Segment");
  auto total = OptionalInt(req, "TotalSegments");
  if (total && (*total < 1 || *total > 1000000)) {
    errors.Add(std::to_string(*total), "totalSegments",
               *total < 1 ? "Member must have value greater than or equal to 1"
                          : "Member must have value less than or equal to 1000000");
  }
  if (segment && *segment < 0) {
    errors.Add(std::to_string(*segment), "segment",
               "Member must have value greater than or equal to 0");
  }
  errors.ThrowIfAny();
  exprs.CheckAllUsed();
  if (segment.has_value() != total.has_value()) {
    throw ApiError::Validation(segment ? "The TotalSegments parameter is required but was not "
                                         "present in the request when Segment parameter is present"
                                       : "The Segment parameter is required but was not present in "
                                         "the request when parameter TotalSegments is present");
  }
  if (segment && *segment >= *total) {
    throw ApiError::Validation(
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
        "Segment: " +
        std::to_string(*segment) + " is not less than TotalSegments: " + std::to_string(*total));
  }
  auto table = LookupTable(ctx.store, name);
  const ReadTarget target =
      ResolveReadTarget(req, *ctx.store, *table, o.consistent, o.projection.has_value(), &o.select);
  store::RangeQuery range;
  if (segment) {
    range.segment = static_cast<uint32_t>(*segment);
    range.total_segments = static_cast<uint32_t>(*total);
  }
  if (o.exclusive_start) {
    CheckStartKey(target, *o.exclusive_start);
    auto pk = o.exclusive_start->find(target.partition_key.name);
    if (segment && pk != o.exclusive_start->end() &&
        !store::InScanSegment(pk->second, range.segment, range.total_segments)) {
      throw ApiError::Validation(
          "The provided Exclusive start key does not map to the provided Segment and "
          "TotalSegments values.");
    }
  }
  return ReadPage(ctx, target, o, std::move(range));
}

}  // namespace meridian::api
