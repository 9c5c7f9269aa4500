#include "daemon/api/partiql_translate.h"

#include <algorithm>
#include <boost/json.hpp>
#include <unordered_map>

#include "daemon/api/api_error.h"
#include "daemon/api/json_codec.h"
#include "daemon/api/request.h"

namespace meridian::api {
namespace json = boost::json;
using model::AttributeValue;
using model::partiql::Cond;
using model::partiql::Expr;
using model::partiql::Statement;

namespace {

constexpr size_t kMaxStatementLength = 8192;

// The #p / :p placeholders of the expressions one statement becomes.
class Placeholders {
 public:
  explicit Placeholders(const std::vector<AttributeValue>& parameters) : params_(parameters) {}

  std::string Name(const std::string& name) {
    for (const auto& [placeholder, value] : names_) {
      if (value.as_string() == name) return std::string(placeholder);
    }
    std::string placeholder = "#p" + std::to_string(names_.size());
    names_[placeholder] = name;
    return placeholder;
  }
  std::string Value(const AttributeValue& v) {
    std::string placeholder = ":p" + std::to_string(values_.size());
    values_[placeholder] = EncodeAttributeValue(v);
    return placeholder;
  }
  std::string Path(const model::expr::Path& path) {
    return model::partiql::RenderPath(path, [this](const std::string& name) { return Name(name); });
  }
  AttributeValue Bound(const Expr& e) const {
    auto v = model::partiql::Bind(e, params_);
    if (!v.ok()) throw ApiError::Validation(v.status().message());
    return std::move(*v);
  }

  // An operand of a condition or of SET.
  std::string Operand(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kPath: return Path(e.path);
      case Expr::Kind::kMissing:
        throw ApiError::Validation("MISSING must be compared using IS operator");
      case Expr::Kind::kCall: return Call(e);
      case Expr::Kind::kAdd:
      case Expr::Kind::kSub:
        return Operand(e.args[0]) + (e.kind == Expr::Kind::kAdd ? " + " : " - ") +
               Operand(e.args[1]);
      default: return Value(Bound(e));
    }
  }

  std::string Call(const Expr& e) {
    static const std::pair<const char*, size_t> kValueFunctions[] = {
        {"size", 1}, {"list_append", 2}, {"if_not_exists", 2}};
    for (const auto& [name, arity] : kValueFunctions) {
      if (e.function != name) continue;
      if (e.args.size() != arity) {
        throw ApiError::Validation("Incorrect number of arguments for function " + e.function);
      }
      std::string out = e.function + "(";
      for (size_t i = 0; i < e.args.size(); ++i) out += (i ? ", " : "") + Operand(e.args[i]);
      return out + ")";
    }
    throw ApiError::Validation("Unsupported function in this position: " + e.function);
  }

  std::string Condition(const Cond& c) {
    switch (c.kind) {
      case Cond::Kind::kAnd:
      case Cond::Kind::kOr: {
        std::string out;
        for (const Cond& child : c.children) {
          if (!out.empty()) out += c.kind == Cond::Kind::kAnd ? " AND " : " OR ";
          out += "(" + Condition(child) + ")";
        }
        return out;
      }
      case Cond::Kind::kNot: return "NOT (" + Condition(c.children[0]) + ")";
      case Cond::Kind::kCompare: {
        const Expr& a = c.operands[0];
        const Expr& b = c.operands[1];
        if (a.kind == Expr::Kind::kMissing || b.kind == Expr::Kind::kMissing) {
          throw ApiError::Validation("MISSING must be compared using IS operator");
        }
        return Operand(a) + " " + c.op + " " + Operand(b);
      }
      case Cond::Kind::kBetween:
        return Operand(c.operands[0]) + " BETWEEN " + Operand(c.operands[1]) + " AND " +
               Operand(c.operands[2]);
      case Cond::Kind::kIn: {
        if (c.operands.size() > 101)
          throw ApiError::Validation("IN operator supports at most 100 values");
        std::string out = Operand(c.operands[0]) + " IN (";
        for (size_t i = 1; i < c.operands.size(); ++i)
          out += (i > 1 ? ", " : "") + Operand(c.operands[i]);
        return out + ")";
      }
      case Cond::Kind::kCall: {
        std::string out = c.op + "(";
        for (size_t i = 0; i < c.operands.size(); ++i)
          out += (i ? ", " : "") + Operand(c.operands[i]);
        return out + ")";
      }
      case Cond::Kind::kIsMissing: return "attribute_not_exists(" + PathOf(c.operands[0]) + ")";
      case Cond::Kind::kIsNull: {
        const std::string path = PathOf(c.operands[0]);
        return "attribute_not_exists(" + path + ") OR attribute_type(" + path + ", " +
               Value(AttributeValue::S("NULL")) + ")";
      }
      case Cond::Kind::kValue: {
        const AttributeValue v = Bound(c.operands[0]);
        if (v.type() != model::AttrType::kBool)
          throw ApiError::Validation("Where clause must be a boolean condition");
        const std::string p = Value(v);
        return p + (v.boolean() ? " = " : " <> ") + p;
      }
    }
    return {};
  }

  std::string PathOf(const Expr& e) {
    if (e.kind != Expr::Kind::kPath)
      throw ApiError::Validation("IS MISSING and IS NULL apply to attribute paths");
    return Path(e.path);
  }

  void AddTo(json::object* req) const {
    if (!names_.empty()) (*req)["ExpressionAttributeNames"] = names_;
    if (!values_.empty()) (*req)["ExpressionAttributeValues"] = values_;
  }

 private:
  const std::vector<AttributeValue>& params_;
  json::object names_;
  json::object values_;
};

// The WHERE clause as a list of conjuncts.
std::vector<const Cond*> Conjuncts(const std::optional<Cond>& where) {
  std::vector<const Cond*> out;
  if (!where) return out;
  if (where->kind == Cond::Kind::kAnd) {
    for (const Cond& c : where->children) out.push_back(&c);
  } else {
    out.push_back(&*where);
  }
  return out;
}

bool IsValue(const Expr& e) {
  return e.kind == Expr::Kind::kLiteral || e.kind == Expr::Kind::kParam ||
         e.kind == Expr::Kind::kList || e.kind == Expr::Kind::kMap || e.kind == Expr::Kind::kSet;
}

bool IsAttribute(const Expr& e, const std::string& name) {
  return e.kind == Expr::Kind::kPath && e.path.size() == 1 && !e.path[0].is_index() &&
         e.path[0].name == name;
}

// `name = value` (either way round): the value expression, or nullptr.
const Expr* EqualityOn(const Cond& c, const std::string& name) {
  if (c.kind != Cond::Kind::kCompare || c.op != "=") return nullptr;
  if (IsAttribute(c.operands[0], name) && IsValue(c.operands[1])) return &c.operands[1];
  if (IsAttribute(c.operands[1], name) && IsValue(c.operands[0])) return &c.operands[0];
  return nullptr;
}

// Does the value or condition read the top-level attribute `name`?
bool Mentions(const Expr& e, const std::string& name) {
  if (e.kind == Expr::Kind::kPath && e.path.front().name == name) return true;
  return std::any_of(e.args.begin(), e.args.end(),
                     [&](const Expr& a) { return Mentions(a, name); });
}
bool Mentions(const Cond& c, const std::string& name) {
  return std::any_of(c.children.begin(), c.children.end(),
                     [&](const Cond& child) { return Mentions(child, name); }) ||
         std::any_of(c.operands.begin(), c.operands.end(),
                     [&](const Expr& e) { return Mentions(e, name); });
}

// Joins conditions with AND; "" for none.
std::string JoinAnd(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += " AND ";
    out += "(" + p + ")";
  }
  return out;
}

// The conjuncts as one condition.
std::string RenderAll(Placeholders& ph, const std::vector<const Cond*>& conjuncts) {
  std::vector<std::string> parts;
  parts.reserve(conjuncts.size());
  for (const Cond* c : conjuncts) parts.push_back(ph.Condition(*c));
  return JoinAnd(parts);
}

struct KeyNames {
  std::string partition;
  std::optional<std::string> sort;
};

KeyNames TableKeys(const store::TableInfo& table) {
  KeyNames k{table.partition_key.name, std::nullopt};
  if (table.sort_key) k.sort = table.sort_key->name;
  return k;
}

// The full primary key a WHERE clause fixes with equalities, and the conjuncts left over.
// ValidationException when a key attribute has no equality.
struct KeyedWhere {
  json::object key;
  std::vector<const Cond*> rest;
};
KeyedWhere RequireFullKey(const Statement& s, const store::TableInfo& table, Placeholders& ph) {
  const KeyNames keys = TableKeys(table);
  KeyedWhere out;
  const Expr* pk = nullptr;
  const Expr* sk = nullptr;
  for (const Cond* c : Conjuncts(s.where)) {
    if (!pk && (pk = EqualityOn(*c, keys.partition))) continue;
    if (keys.sort && !sk && (sk = EqualityOn(*c, *keys.sort))) continue;
    out.rest.push_back(c);
  }
  if (!pk || (keys.sort && !sk)) {
    throw ApiError::Validation(
        "Where clause does not contain a mandatory equality on all key attributes");
  }
  out.key[keys.partition] = EncodeAttributeValue(ph.Bound(*pk));
  if (sk) out.key[*keys.sort] = EncodeAttributeValue(ph.Bound(*sk));
  return out;
}

// Can `c` be a KeyConditionExpression's sort-key condition on `sort`?
bool IsSortKeyCondition(const Cond& c, const std::string& sort) {
  if (c.kind == Cond::Kind::kCompare) {
    if (c.op == "<>") return false;
    return (IsAttribute(c.operands[0], sort) && IsValue(c.operands[1])) ||
           (IsAttribute(c.operands[1], sort) && IsValue(c.operands[0]));
  }
  if (c.kind == Cond::Kind::kBetween) {
    return IsAttribute(c.operands[0], sort) && IsValue(c.operands[1]) && IsValue(c.operands[2]);
  }
  return c.kind == Cond::Kind::kCall && c.op == "begins_with" && c.operands.size() == 2 &&
         IsAttribute(c.operands[0], sort) && IsValue(c.operands[1]);
}

}  // namespace

std::shared_ptr<const Statement> ParseStatement(const std::string& text) {
  constexpr size_t kCached = 512;
  thread_local std::unordered_map<std::string, std::shared_ptr<const Statement>> cache;
  if (auto it = cache.find(text); it != cache.end()) return it->second;
  if (text.empty() || text.size() > kMaxStatementLength) {
    throw ApiError::Validation(
        "1 validation error detected: Value at 'statement' failed to satisfy constraint: Member "
        "must have length " +
        std::string(text.empty() ? "greater than or equal to 1" : "less than or equal to 8192"));
  }
  auto parsed = model::partiql::Parse(text);
  if (!parsed.ok()) throw ApiError::Validation(parsed.status().message());
  if (cache.size() >= kCached) cache.clear();
  auto statement = std::make_shared<const Statement>(std::move(*parsed));
  cache.emplace(text, statement);
  return statement;
}

std::vector<AttributeValue> BindParameters(const json::value* parameters,
                                           const Statement& statement) {
  std::vector<AttributeValue> out;
  if (parameters) {
    const json::array& list = ExpectArray(*parameters, "Parameters");
    if (list.empty()) {
      throw ApiError::Validation(
          "1 validation error detected: Value '[]' at 'parameters' failed to satisfy "
          "constraint: Member must have length greater than or equal to 1");
    }
    for (const auto& v : list) out.push_back(DecodeAttributeValue(v));
  }
  if (out.size() != static_cast<size_t>(statement.parameters)) {
    throw ApiError::Validation("Number of parameters in request and statement don't match.");
  }
  return out;
}

ReadPlan PlanSelect(const Statement& s, const std::vector<AttributeValue>& parameters,
                    const store::TableInfo& table) {
  Placeholders ph(parameters);
  ReadPlan plan;
  KeyNames keys = TableKeys(table);
  if (s.index) {
    const store::IndexInfo* index = table.FindIndex(*s.index);
    if (!index) {
      throw ApiError::Validation("The table does not have the specified index");
    }
    keys.partition = index->partition_key.name;
    keys.sort = index->sort_key ? std::optional(index->sort_key->name) : std::nullopt;
  }
  const auto conjuncts = Conjuncts(s.where);
  const Expr* pk = nullptr;
  const Cond* pk_cond = nullptr;
  const Cond* pk_in = nullptr;
  for (const Cond* c : conjuncts) {
    if (!pk && (pk = EqualityOn(*c, keys.partition))) {
      pk_cond = c;
    } else if (!pk_in && c->kind == Cond::Kind::kIn &&
               IsAttribute(c->operands[0], keys.partition)) {
      bool values = true;
      for (size_t i = 1; i < c->operands.size(); ++i) values = values && IsValue(c->operands[i]);
      if (values) pk_in = c;
    }
  }
  if (pk) pk_in = nullptr;
  const Cond* sk_cond = nullptr;
  if ((pk || pk_in) && keys.sort) {
    for (const Cond* c : conjuncts) {
      if (c != pk_cond && IsSortKeyCondition(*c, *keys.sort)) {
        sk_cond = c;
        break;
      }
    }
  }
  // What is left for a filter, and whether a Query may take it (no key attributes).
  std::vector<const Cond*> rest;
  bool rest_mentions_keys = false;
  for (const Cond* c : conjuncts) {
    if (c == pk_cond || c == pk_in || c == sk_cond) continue;
    rest.push_back(c);
    if (Mentions(*c, keys.partition) || (keys.sort && Mentions(*c, *keys.sort)))
      rest_mentions_keys = true;
  }
  const bool query = (pk || pk_in) && !rest_mentions_keys;

  if (s.order_by) {
    if (!s.where) {
      throw ApiError::Validation(
          "Must have WHERE clause in the statement when using ORDER BY clause.");
    }
    if (!query) {
      throw ApiError::Validation(
          "Must have at least one non-optional hash key condition in WHERE clause when using "
          "ORDER BY clause.");
    }
    if (s.order_by->size() != 1 || (s.order_by->front().name != keys.partition &&
                                    (!keys.sort || s.order_by->front().name != *keys.sort))) {
      throw ApiError::Validation("Variable reference " + model::partiql::PathText(*s.order_by) +
                                 " in ORDER BY clause must be part of the primary key");
    }
  }

  json::object& req = plan.request;
  req["TableName"] = table.name;
  if (s.index) req["IndexName"] = *s.index;

  // One item by its full key, nothing else asked: GetItem.
  if (pk && !s.index && rest.empty() && !s.order_by &&
      (!keys.sort || (sk_cond && EqualityOn(*sk_cond, *keys.sort)))) {
    plan.kind = ReadPlan::Kind::kGet;
    plan.key.emplace(keys.partition, ph.Bound(*pk));
    if (sk_cond) plan.key.emplace(*keys.sort, ph.Bound(*EqualityOn(*sk_cond, *keys.sort)));
    return plan;
  }
  if (query) {
    plan.kind = ReadPlan::Kind::kQuery;
    std::string key_condition = ph.Path({model::expr::PathElement{keys.partition, -1}}) + " = ";
    if (pk) {
      key_condition += ph.Value(ph.Bound(*pk));
    } else {
      key_condition += ":pk";
      for (size_t i = 1; i < pk_in->operands.size(); ++i)
        plan.partitions.push_back(ph.Bound(pk_in->operands[i]));
    }
    if (sk_cond) key_condition += " AND " + ph.Condition(*sk_cond);
    req["KeyConditionExpression"] = key_condition;
    if (s.order_by && s.descending) req["ScanIndexForward"] = false;
    if (!rest.empty()) req["FilterExpression"] = RenderAll(ph, rest);
  } else {
    plan.kind = ReadPlan::Kind::kScan;
    if (!conjuncts.empty()) req["FilterExpression"] = RenderAll(ph, conjuncts);
  }
  ph.AddTo(&req);
  return plan;
}

json::object PlanKeyRead(const Statement& s, const std::vector<AttributeValue>& parameters,
                         const store::TableInfo& table, const char* not_one_item) {
  if (s.kind == Statement::Kind::kExists)
    throw ApiError::Validation("EXISTS can only be used in ExecuteTransaction write requests.");
  Placeholders ph(parameters);
  KeyedWhere keyed;
  try {
    keyed = RequireFullKey(s, table, ph);
  } catch (const ApiError&) {
    throw ApiError::Validation(not_one_item);
  }
  if (s.index || !keyed.rest.empty() || s.order_by) throw ApiError::Validation(not_one_item);
  json::object req;
  req["TableName"] = table.name;
  req["Key"] = std::move(keyed.key);
  ph.AddTo(&req);
  return req;
}

WritePlan PlanWrite(const Statement& s, const std::vector<AttributeValue>& parameters,
                    const store::TableInfo& table) {
  Placeholders ph(parameters);
  WritePlan plan;
  json::object& req = plan.request;
  req["TableName"] = table.name;
  // attribute_exists / attribute_not_exists of the partition key, naming it only when used.
  auto key_test = [&](const char* function) {
    return std::string(function) + "(" + ph.Name(table.partition_key.name) + ")";
  };
  switch (s.kind) {
    case Statement::Kind::kInsert: {
      const AttributeValue item = ph.Bound(s.value);
      if (item.type() != model::AttrType::kM) {
        throw ApiError::Validation(
            "Unsupported format in item expression. Please use struct format {...} to express "
            "item values for insert statement.");
      }
      for (const store::KeyAttribute* key :
           {&table.partition_key, table.sort_key ? &*table.sort_key : nullptr}) {
        if (!key) continue;
        auto it = item.m().find(key->name);
        if (it == item.m().end()) {
          throw ApiError::Validation("Key attribute should be present in the item: Key " +
                                     key->name);
        }
        if (!store::MatchesKeyType(it->second, key->type)) {
          throw ApiError::Validation(
              "Key attribute's data type should match its data type in table's schema: Key " +
              key->name);
        }
      }
      plan.operation = "PutItem";
      req["Item"] = EncodeItem(model::Item(item.m().begin(), item.m().end()));
      req["ConditionExpression"] = key_test("attribute_not_exists");
      break;
    }
    case Statement::Kind::kUpdate: {
      plan.operation = "UpdateItem";
      KeyedWhere keyed = RequireFullKey(s, table, ph);
      req["Key"] = std::move(keyed.key);
      std::string set, add, del, remove;
      for (const auto& action : s.sets) {
        const std::string target = ph.Path(action.path);
        const Expr& v = action.value;
        if (v.kind == Expr::Kind::kCall &&
            (v.function == "set_add" || v.function == "set_delete")) {
          if (v.args.size() != 2 || v.args[0].kind != Expr::Kind::kPath ||
              v.args[0].path != action.path) {
            throw ApiError::Validation(v.function +
                                       " takes the attribute being set and a set of values");
          }
          std::string& clause = v.function == "set_add" ? add : del;
          clause += (clause.empty() ? "" : ", ") + target + " " + ph.Value(ph.Bound(v.args[1]));
          continue;
        }
        set += (set.empty() ? "" : ", ") + target + " = " + ph.Operand(v);
      }
      for (const auto& path : s.removes) remove += (remove.empty() ? "" : ", ") + ph.Path(path);
      std::string update;
      if (!set.empty()) update += "SET " + set;
      if (!remove.empty()) update += (update.empty() ? "" : " ") + ("REMOVE " + remove);
      if (!add.empty()) update += (update.empty() ? "" : " ") + ("ADD " + add);
      if (!del.empty()) update += (update.empty() ? "" : " ") + ("DELETE " + del);
      req["UpdateExpression"] = update;
      std::vector<std::string> cond{key_test("attribute_exists")};
      for (const Cond* c : keyed.rest) cond.push_back(ph.Condition(*c));
      req["ConditionExpression"] = JoinAnd(cond);
      if (!s.returning.empty()) req["ReturnValues"] = s.returning;
      break;
    }
    case Statement::Kind::kDelete:
    case Statement::Kind::kExists: {
      plan.operation = s.kind == Statement::Kind::kDelete ? "DeleteItem" : "ConditionCheck";
      if (s.kind == Statement::Kind::kExists && (s.index || !s.projection.empty())) {
        throw ApiError::Validation("EXISTS takes SELECT * FROM a table with a key condition");
      }
      KeyedWhere keyed = RequireFullKey(s, table, ph);
      if (s.kind == Statement::Kind::kExists && keyed.rest.empty()) {
        throw ApiError::Validation(
            "EXISTS() must contain a single item read with additional condition");
      }
      req["Key"] = std::move(keyed.key);
      std::vector<std::string> cond;
      if (s.kind == Statement::Kind::kExists) cond.push_back(key_test("attribute_exists"));
      for (const Cond* c : keyed.rest) cond.push_back(ph.Condition(*c));
      if (!cond.empty()) req["ConditionExpression"] = JoinAnd(cond);
      if (!s.returning.empty()) req["ReturnValues"] = s.returning;
      break;
    }
    case Statement::Kind::kSelect: throw ApiError::Validation("A SELECT is not a write");
  }
  ph.AddTo(&req);
  return plan;
}

}  // namespace meridian::api

namespace meridian::api {
namespace {

const json::value* AtPath(const json::object& item, const model::expr::Path& path) {
  const json::value* cur = item.if_contains(path.front().name);
  for (size_t i = 1; i < path.size() && cur; ++i) {
    const json::object* av = cur->if_object();
    if (!av) return nullptr;
    if (path[i].is_index()) {
      const json::value* list = av->if_contains("L");
      const json::array* elements = list ? list->if_array() : nullptr;
      const auto index = static_cast<size_t>(path[i].index);
      cur = elements && index < elements->size() ? &(*elements)[index] : nullptr;
    } else {
      const json::value* map = av->if_contains("M");
      cur = map && map->is_object() ? map->as_object().if_contains(path[i].name) : nullptr;
    }
  }
  return cur;
}

std::string ProjectedName(const model::expr::Path& path) {
  size_t last = 0;
  for (size_t i = 0; i < path.size(); ++i) {
    if (!path[i].is_index()) last = i;
  }
  std::string name = path[last].name;
  for (size_t i = last + 1; i < path.size(); ++i) name += "[" + std::to_string(path[i].index) + "]";
  return name;
}

}  // namespace

json::object ProjectItem(const json::object& item,
                         const std::vector<model::expr::Path>& projection) {
  json::object out;
  for (const auto& path : projection) {
    if (const json::value* v = AtPath(item, path)) out[ProjectedName(path)] = *v;
  }
  return out;
}

}  // namespace meridian::api
