// PartiQL statements (model/partiql.h) translated into the requests of the item operations
// they run as: SELECT by full key -> GetItem, by partition key -> Query, otherwise -> Scan;
// INSERT -> PutItem with attribute_not_exists on the key; UPDATE -> UpdateItem with
// attribute_exists; DELETE -> DeleteItem; EXISTS -> a transaction's ConditionCheck. Names and
// values become #p / :p placeholders, so every expression check, write path, replication
// and capacity rule of those operations applies unchanged. Private to daemon/api; functions
// throw ApiError.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <vector>

#include "model/attribute_value.h"
#include "model/partiql.h"
#include "store/table_info.h"

namespace meridian::api {

// ExecuteStatement's Statement member: 1 to 8192 characters, parsed. Applications repeat
// their statements (values go in Parameters), so each thread keeps the last parses.
std::shared_ptr<const model::partiql::Statement> ParseStatement(const std::string& text);

// Parameters (a list of AttributeValues) checked against the statement's `?` count.
std::vector<model::AttributeValue> BindParameters(const boost::json::value* parameters,
                                                  const model::partiql::Statement& statement);

// How a SELECT reads. Its projection is not part of the request: PartiQL names a projected
// path by its last component ("SELECT m.k" gives {"k": ...}), see ProjectItem.
struct ReadPlan {
  enum class Kind { kGet, kQuery, kScan };
  Kind kind = Kind::kScan;
  boost::json::object request;  // GetItem / Query / Scan request, without paging members
  model::Item key;              // kGet: the key, as GetItem's Key
  // pk IN [...]: one Query per value (request gets the KeyConditionExpression's ":pk"
  // value from here in turn).
  std::vector<model::AttributeValue> partitions;
};
ReadPlan PlanSelect(const model::partiql::Statement& statement,
                    const std::vector<model::AttributeValue>& parameters,
                    const store::TableInfo& table);

// The request of the write operation an INSERT / UPDATE / DELETE / EXISTS runs as: PutItem,
// UpdateItem, DeleteItem or (EXISTS) a ConditionCheck entry.
struct WritePlan {
  std::string operation;  // "PutItem" | "UpdateItem" | "DeleteItem" | "ConditionCheck"
  boost::json::object request;
};
WritePlan PlanWrite(const model::partiql::Statement& statement,
                    const std::vector<model::AttributeValue>& parameters,
                    const store::TableInfo& table);

// The GetItem request of a SELECT that names one item by its full primary key (what
// BatchExecuteStatement and ExecuteTransaction read), or ValidationException `not_one_item`.
boost::json::object PlanKeyRead(const model::partiql::Statement& statement,
                                const std::vector<model::AttributeValue>& parameters,
                                const store::TableInfo& table, const char* not_one_item);

// A projected item as PartiQL shows it: each path that exists in `item` (JSON, as the
// operations return items) becomes a top-level attribute named by its last name component
// and the indexes after it ("a.b[1]" -> "b[1]").
boost::json::object ProjectItem(const boost::json::object& item,
                                const std::vector<model::expr::Path>& projection);

}  // namespace meridian::api
