#include "daemon/api/index_schema.h"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "daemon/api/api_error.h"
#include "daemon/api/capacity_limiter.h"
#include "daemon/api/request.h"
#include "store/store.h"

namespace meridian::api {
namespace json = boost::json;
using store::IndexInfo;
using store::KeyType;

namespace {

constexpr size_t kMaxGlobalIndexes = 20;
constexpr size_t kMaxLocalIndexes = 5;
constexpr size_t kMaxProjectedAttributes = 100;
const std::string kInvalid = "One or more parameter values were invalid: ";

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + "]";
}

KeyType ToKeyType(const std::string& s) {
  return s == "N" ? KeyType::kN : s == "B" ? KeyType::kB : KeyType::kS;
}

// Shape constraints of one index element ("Value ... at 'path' failed to satisfy ...").
void CheckIndexShape(const json::object& e, const std::string& path, ConstraintErrors* errors) {
  errors->TableName(OptionalString(e, "IndexName"), path + ".indexName");
  if (const json::value* ks = Member(e, "KeySchema")) {
    const json::array& keys = ExpectArray(*ks, "KeySchema");
    if (keys.empty())
      errors->Add("'[]'", path + ".keySchema",
                  "Member must have length greater than or equal to 1");
    if (keys.size() > 2)
      errors->Add("'[...]'", path + ".keySchema",
                  "Member must have length less than or equal to 2");
    for (size_t i = 0; i < keys.size(); ++i) {
      if (auto name = OptionalString(ExpectObject(keys[i], "KeySchemaElement"), "AttributeName")) {
        errors->KeyAttributeName(
            *name, path + ".keySchema." + std::to_string(i + 1) + ".member.attributeName");
      }
    }
  } else {
    errors->Add("null", path + ".keySchema", "Member must not be null");
  }
  const json::value* projection = Member(e, "Projection");
  if (!projection) {
    errors->Add("null", path + ".projection", "Member must not be null");
    return;
  }
  const json::object& projection_obj = ExpectObject(*projection, "Projection");
  if (const json::value* attrs = Member(projection_obj, "NonKeyAttributes");
      attrs && attrs->is_array()) {
    const json::array& names = attrs->get_array();
    for (size_t i = 0; i < names.size(); ++i) {
      if (!names[i].is_string()) continue;
      errors->KeyAttributeName(
          std::string(names[i].get_string()),
          path + ".projection.nonKeyAttributes." + std::to_string(i + 1) + ".member");
    }
  }
  auto type = OptionalString(projection_obj, "ProjectionType");
  if (type && *type != "ALL" && *type != "INCLUDE" && *type != "KEYS_ONLY") {
    errors->Add("'" + *type + "'", path + ".projection.projectionType",
                "Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]");
  }
}

// One index element, checked as DynamoDB checks it after the shape constraints.
IndexInfo ParseIndex(const json::object& e, bool local, const AttributeDefinitions& defs,
                     const store::TableInfo& table) {
  IndexInfo index;
  index.local = local;
  index.name = *OptionalString(e, "IndexName");
  std::vector<std::pair<std::string, std::string>> schema;  // name, HASH | RANGE
  for (const auto& k : ExpectArray(*Member(e, "KeySchema"), "KeySchema")) {
    const json::object& key = ExpectObject(k, "KeySchemaElement");
    schema.emplace_back(OptionalString(key, "AttributeName").value_or(""),
                        OptionalString(key, "KeyType").value_or(""));
  }
  std::vector<std::string> names, def_names;
  for (const auto& [name, type] : schema) names.push_back(name);
  for (const auto& [name, type] : defs) def_names.push_back(name);
  for (const auto& name : names) {
    if (!defs.count(name)) {
      throw ApiError::Validation(
          kInvalid + "Some index key attributes are not defined in AttributeDefinitions. Keys: " +
          JoinNames(names) + ", AttributeDefinitions: " + JoinNames(def_names));
    }
  }
  if (schema.size() == 2 && names[0] == names[1]) {
    throw ApiError::Validation(
        "Both the Hash Key and the Range Key element in the KeySchema have the same name");
  }
  if (schema[0].second != "HASH") {
    throw ApiError::Validation(
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  }
  if (schema.size() == 2 && schema[1].second != "RANGE") {
    throw ApiError::Validation(
        "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
  }
  if (local && schema.size() != 2) {
    throw ApiError::Validation(
        kInvalid + "Index KeySchema does not have a range key for index: " + index.name);
  }
  if (local && names[0] != table.partition_key.name) {
    throw ApiError::Validation(
        kInvalid +
        "Index KeySchema does not have the same leading hash key as table KeySchema for index: " +
        index.name + ". index hash key: " + names[0] +
        ", table hash key: " + table.partition_key.name);
  }
  index.partition_key = {names[0], ToKeyType(defs.at(names[0]))};
  if (schema.size() == 2)
    index.sort_key = store::KeyAttribute{names[1], ToKeyType(defs.at(names[1]))};

  const json::object& projection = ExpectObject(*Member(e, "Projection"), "Projection");
  auto type = OptionalString(projection, "ProjectionType");
  if (!type) throw ApiError::Validation(kInvalid + "Unknown ProjectionType: null");
  auto projection_type = store::ParseProjectionType(*type);
  if (!projection_type) throw ApiError::Validation(kInvalid + "Unknown ProjectionType: " + *type);
  index.projection_type = *projection_type;
  if (const json::value* attrs = Member(projection, "NonKeyAttributes")) {
    if (*type != "INCLUDE") {
      throw ApiError::Validation(kInvalid + "ProjectionType is " + *type +
                                 ", but NonKeyAttributes is specified");
    }
    for (const auto& a : ExpectArray(*attrs, "NonKeyAttributes")) {
      index.non_key_attributes.emplace_back(ExpectString(a, "NonKeyAttributes"));
    }
  }
  const json::value* throughput = Member(e, "ProvisionedThroughput");
  if (!local && table.billing_mode == store::BillingMode::kPayPerRequest && throughput) {
    throw ApiError::Validation(
        kInvalid + "ProvisionedThroughput should not be specified for index: " + index.name +
        " when BillingMode is PAY_PER_REQUEST");
  }
  if (!local && table.billing_mode == store::BillingMode::kProvisioned) {
    if (!throughput) {
      throw ApiError::Validation(
          kInvalid + "ProvisionedThroughput must be specified for index: " + index.name);
    }
    const json::object& pt = ExpectObject(*throughput, "ProvisionedThroughput");
    auto rcu = OptionalInt(pt, "ReadCapacityUnits");
    auto wcu = OptionalInt(pt, "WriteCapacityUnits");
    ConstraintErrors errors;
    if (!rcu || *rcu < 1)
      errors.Add(
          rcu ? std::to_string(*rcu) : "null", "provisionedThroughput.readCapacityUnits",
          rcu ? "Member must have value greater than or equal to 1" : "Member must not be null");
    if (!wcu || *wcu < 1)
      errors.Add(
          wcu ? std::to_string(*wcu) : "null", "provisionedThroughput.writeCapacityUnits",
          wcu ? "Member must have value greater than or equal to 1" : "Member must not be null");
    errors.ThrowIfAny();
    index.read_capacity = static_cast<uint64_t>(*rcu);
    index.write_capacity = static_cast<uint64_t>(*wcu);
  }
  return index;
}

void CheckProjectedAttributeCount(const store::TableInfo& info) {
  size_t projected = 0;
  for (const auto& index : info.indexes) projected += index.non_key_attributes.size();
  if (projected > kMaxProjectedAttributes) {
    throw ApiError::Validation(kInvalid +
                               "The number of attributes in key schema and NonKeyAttributes in all "
                               "secondary indexes exceeds the limit of " +
                               std::to_string(kMaxProjectedAttributes));
  }
}

std::vector<json::object> IndexElements(const Request& req, const char* member, const char* path,
                                        ConstraintErrors* errors) {
  std::vector<json::object> out;
  const json::value* list = Member(req, member);
  if (!list) return out;
  const json::array& arr = ExpectArray(*list, member);
  for (size_t i = 0; i < arr.size(); ++i) {
    out.push_back(ExpectObject(arr[i], member));
    CheckIndexShape(out.back(), std::string(path) + "." + std::to_string(i + 1) + ".member",
                    errors);
  }
  if (arr.empty()) {
    throw ApiError::Validation(kInvalid + "List of " + member + " is empty");
  }
  return out;
}

}  // namespace

void CheckCreateTableIndexShapes(const Request& req, ConstraintErrors* errors) {
  IndexElements(req, "LocalSecondaryIndexes", "localSecondaryIndexes", errors);
  IndexElements(req, "GlobalSecondaryIndexes", "globalSecondaryIndexes", errors);
}

// "Attributes cannot be redefined" when the new index types a key attribute differently from
// the table or its other indexes.
void CheckNotRedefined(const AttributeDefinitions& existing, const IndexInfo& index) {
  auto describe = [](const std::string& name, std::string_view type, const char* role) {
    return "SchemaElement: key{" + name + ":" + std::string(type) + ":" + role + "}";
  };
  for (const auto* key : {&index.partition_key, index.sort_key ? &*index.sort_key : nullptr}) {
    if (!key) continue;
    auto it = existing.find(key->name);
    const std::string_view type = store::KeyTypeName(key->type);
    if (it == existing.end() || it->second == type) continue;
    const char* role = key == &index.partition_key ? "HASH" : "RANGE";
    throw ApiError::Validation(
        kInvalid +
        "Attributes cannot be redefined. Please check that your attribute has the same type as "
        "previously defined. Existing schema: Schema:[" +
        describe(key->name, it->second, role) + "] New schema: Schema:[" +
        describe(key->name, type, role) + "]");
  }
}

void CheckIndexUpdateShapes(const json::value& updates, ConstraintErrors* errors) {
  const json::array& list = ExpectArray(updates, "GlobalSecondaryIndexUpdates");
  for (size_t i = 0; i < list.size(); ++i) {
    const json::object& update = ExpectObject(list[i], "GlobalSecondaryIndexUpdate");
    if (const json::value* create = Member(update, "Create")) {
      CheckIndexShape(ExpectObject(*create, "CreateGlobalSecondaryIndexAction"),
                      "globalSecondaryIndexUpdates." + std::to_string(i + 1) + ".member.create",
                      errors);
    }
  }
}

void ParseCreateTableIndexes(const Request& req, const AttributeDefinitions& defs,
                             store::TableInfo* info) {
  ConstraintErrors errors;
  auto local = IndexElements(req, "LocalSecondaryIndexes", "localSecondaryIndexes", &errors);
  auto global = IndexElements(req, "GlobalSecondaryIndexes", "globalSecondaryIndexes", &errors);
  errors.ThrowIfAny();
  if (!local.empty() && !info->sort_key) {
    throw ApiError::Validation(kInvalid +
                               "Table KeySchema does not have a range key, which is required when "
                               "specifying a LocalSecondaryIndex");
  }
  std::set<std::string> names;
  auto add = [&](const json::object& e, bool is_local) {
    IndexInfo index = ParseIndex(e, is_local, defs, *info);
    if (!names.insert(index.name).second) {
      throw ApiError::Validation(kInvalid + "Duplicate index name: " + index.name);
    }
    info->indexes.push_back(std::move(index));
  };
  for (const auto& e : local) add(e, true);
  if (local.size() > kMaxLocalIndexes) {
    throw ApiError::Validation(kInvalid +
                               "Number of LocalSecondaryIndexes exceeds per-table limit of 5");
  }
  for (const auto& e : global) add(e, false);
  if (global.size() > kMaxGlobalIndexes) {
    throw ApiError::Validation(kInvalid +
                               "GlobalSecondaryIndex count exceeds the per-table limit of 20");
  }
  CheckProjectedAttributeCount(*info);
}

void CheckAttributeDefinitionsUsed(const AttributeDefinitions& defs, const store::TableInfo& info) {
  std::vector<std::string> used;
  auto use = [&](const store::KeyAttribute& k) {
    if (std::find(used.begin(), used.end(), k.name) == used.end()) used.push_back(k.name);
  };
  use(info.partition_key);
  if (info.sort_key) use(*info.sort_key);
  for (const auto& index : info.indexes) {
    use(index.partition_key);
    if (index.sort_key) use(*index.sort_key);
  }
  if (defs.size() == used.size()) return;
  std::vector<std::string> def_names;
  for (const auto& [name, type] : defs) def_names.push_back(name);
  throw ApiError::Validation(kInvalid +
                             "Some AttributeDefinitions are not used. AttributeDefinitions: " +
                             JoinNames(def_names) + ", keys used: " + JoinNames(used));
}

std::vector<std::string> DeletedIndexNames(const json::value& updates) {
  std::vector<std::string> names;
  for (const auto& u : ExpectArray(updates, "GlobalSecondaryIndexUpdates")) {
    if (const json::value* del = Member(ExpectObject(u, "GlobalSecondaryIndexUpdate"), "Delete")) {
      names.push_back(
          OptionalString(ExpectObject(*del, "DeleteGlobalSecondaryIndexAction"), "IndexName")
              .value_or(""));
    }
  }
  return names;
}

void ApplyIndexUpdates(const json::value& updates, const AttributeDefinitions& request_defs,
                       bool creating, store::TableInfo* info) {
  // The definitions the table already has: a new index must define its keys again in the
  // request, with the same types.
  AttributeDefinitions existing;
  auto define = [&](const store::KeyAttribute& k) {
    existing.emplace(k.name, store::KeyTypeName(k.type));
  };
  define(info->partition_key);
  if (info->sort_key) define(*info->sort_key);
  for (const auto& index : info->indexes) {
    define(index.partition_key);
    if (index.sort_key) define(*index.sort_key);
  }
  const json::array& list = ExpectArray(updates, "GlobalSecondaryIndexUpdates");
  size_t online = 0;
  for (const auto& u : list) {
    const json::object& update = ExpectObject(u, "GlobalSecondaryIndexUpdate");
    const bool create = Member(update, "Create") != nullptr;
    const bool del = Member(update, "Delete") != nullptr;
    const int actions = create + del + (Member(update, "Update") != nullptr);
    if (actions == 0) {
      throw ApiError::Validation(
          kInvalid +
          "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
          "GlobalSecondaryIndexUpdate.Delete must not be null");
    }
    if (actions > 1) {
      throw ApiError::Validation(
          kInvalid +
          "Only one of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
          "GlobalSecondaryIndexUpdate.Delete can be specified");
    }
    online += create + del;
  }
  if (online > 1 || (online == 1 && creating)) {
    throw ApiError::LimitExceeded(
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously "
        "per table");
  }
  for (const auto& u : list) {
    const json::object& update = ExpectObject(u, "GlobalSecondaryIndexUpdate");
    const json::value* create = Member(update, "Create");
    const json::value* del = Member(update, "Delete");
    const json::value* change = Member(update, "Update");
    if (create) {
      const json::object& e = ExpectObject(*create, "CreateGlobalSecondaryIndexAction");
      IndexInfo index = ParseIndex(e, false, request_defs, *info);
      CheckNotRedefined(existing, index);
      if (info->FindIndex(index.name)) {
        throw ApiError::Validation(kInvalid + "Attempting to create an index which already exists");
      }
      const auto globals = std::count_if(info->indexes.begin(), info->indexes.end(),
                                         [](const auto& i) { return !i.local; });
      if (static_cast<size_t>(globals) >= kMaxGlobalIndexes) {
        throw ApiError::Validation(kInvalid +
                                   "GlobalSecondaryIndex count exceeds the per-table limit of 20");
      }
      info->indexes.push_back(std::move(index));
      CheckProjectedAttributeCount(*info);
      continue;
    }
    const json::object& action = ExpectObject(del ? *del : *change, "GlobalSecondaryIndexAction");
    const std::string name = OptionalString(action, "IndexName").value_or("");
    auto it = std::find_if(info->indexes.begin(), info->indexes.end(),
                           [&](const IndexInfo& i) { return i.name == name && !i.local; });
    if (it == info->indexes.end()) {
      throw ApiError::ResourceNotFound("Requested resource not found: Index: " + name +
                                       " not found");
    }
    if (del) {
      info->indexes.erase(it);
    } else if (const json::value* pt = Member(action, "ProvisionedThroughput")) {
      const json::object& obj = ExpectObject(*pt, "ProvisionedThroughput");
      const auto read = static_cast<uint64_t>(
          std::max<int64_t>(1, OptionalInt(obj, "ReadCapacityUnits").value_or(1)));
      const auto write = static_cast<uint64_t>(
          std::max<int64_t>(1, OptionalInt(obj, "WriteCapacityUnits").value_or(1)));
      RecordThroughputChange(&it->throughput, it->read_capacity, it->write_capacity, read, write,
                             NowMillis(), "index " + it->name);
      it->read_capacity = read;
      it->write_capacity = write;
    }
  }
}

void DescribeIndexes(const OpContext& ctx, const store::TableInfo& info,
                     const std::vector<std::string>& deleting, json::object* t) {
  json::array global, local;
  json::array& defs = (*t)["AttributeDefinitions"].as_array();
  auto define = [&](const store::KeyAttribute& k) {
    for (const auto& d : defs) {
      if (d.as_object().at("AttributeName").as_string() == k.name) return;
    }
    defs.push_back(
        json::object{{"AttributeName", k.name}, {"AttributeType", store::KeyTypeName(k.type)}});
  };
  bool updating = false;
  for (const auto& index : info.indexes) {
    json::array schema{
        json::object{{"AttributeName", index.partition_key.name}, {"KeyType", "HASH"}}};
    define(index.partition_key);
    if (index.sort_key) {
      schema.push_back(json::object{{"AttributeName", index.sort_key->name}, {"KeyType", "RANGE"}});
      define(*index.sort_key);
    }
    json::object projection{{"ProjectionType", store::ProjectionTypeName(index.projection_type)}};
    if (index.projection_type == store::ProjectionType::kInclude) {
      json::array attrs;
      for (const auto& a : index.non_key_attributes) attrs.emplace_back(a);
      projection["NonKeyAttributes"] = std::move(attrs);
    }
    const auto stats = ctx.store->GetTableStats(index.index_id);
    json::object d{
        {"IndexName", index.name},
        {"KeySchema", std::move(schema)},
        {"Projection", std::move(projection)},
        {"IndexSizeBytes", stats.size_bytes},
        {"ItemCount", stats.item_count},
        {"IndexArn", std::string((*t)["TableArn"].as_string()) + "/index/" + index.name}};
    if (index.local) {
      local.push_back(std::move(d));
      continue;
    }
    const bool backfilling = ctx.store->IndexBackfilling(index.index_id);
    const bool dropping = std::find(deleting.begin(), deleting.end(), index.name) != deleting.end();
    updating = updating || backfilling || dropping;
    d["IndexStatus"] = dropping ? "DELETING" : backfilling ? "CREATING" : "ACTIVE";
    if (backfilling) d["Backfilling"] = true;
    d["ProvisionedThroughput"] =
        DescribeThroughput(index.read_capacity, index.write_capacity, index.throughput);
    global.push_back(std::move(d));
  }
  if (!global.empty()) (*t)["GlobalSecondaryIndexes"] = std::move(global);
  if (!local.empty()) (*t)["LocalSecondaryIndexes"] = std::move(local);
  if (updating && (*t)["TableStatus"] == "ACTIVE") (*t)["TableStatus"] = "UPDATING";
}

}  // namespace meridian::api
