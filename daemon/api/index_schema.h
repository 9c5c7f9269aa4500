// Secondary-index definitions in the DynamoDB API: CreateTable's GlobalSecondaryIndexes and
// LocalSecondaryIndexes, UpdateTable's GlobalSecondaryIndexUpdates, and their part of
// DescribeTable. Private to daemon/api; functions throw ApiError with DynamoDB's messages.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <vector>

#include "daemon/api/operations.h"
#include "store/table_info.h"

namespace meridian::api {

class ConstraintErrors;

// Attribute name -> "S" / "N" / "B", from AttributeDefinitions.
using AttributeDefinitions = std::map<std::string, std::string>;

// AttributeDefinitions of CreateTable / UpdateTable (ops_table.cc), when present. Returns the
// first name defined twice ("" when none): DynamoDB rejects it once the constraints pass
// (ThrowIfDuplicated).
std::string ParseAttributeDefinitions(const Request& req, AttributeDefinitions* defs,
                                      ConstraintErrors* errors);
// "Attribute Name is duplicated: NAME" unless `name` is empty.
void ThrowIfDuplicated(const std::string& name);

// Adds the shape constraint errors of CreateTable's index lists (names, key schema sizes
// and attribute names, projections) to *errors, as DynamoDB reports them together with the
// table's own.
void CheckCreateTableIndexShapes(const Request& req, ConstraintErrors* errors);

// Parses and checks the request's GlobalSecondaryIndexes and LocalSecondaryIndexes into
// info->indexes. REQUIRES: info's key schema and billing mode are set and valid.
void ParseCreateTableIndexes(const Request& req, const AttributeDefinitions& defs,
                             store::TableInfo* info);

// Checks that every AttributeDefinition is a key of the table or of one of its indexes.
void CheckAttributeDefinitionsUsed(const AttributeDefinitions& defs, const store::TableInfo& info);

// Adds the shape constraint errors of UpdateTable's GlobalSecondaryIndexUpdates Create actions.
void CheckIndexUpdateShapes(const boost::json::value& updates, ConstraintErrors* errors);

// Applies UpdateTable's GlobalSecondaryIndexUpdates (shapes checked already) to `info` (Create: a
// new index with id 0 that the store fills; Update: its throughput; Delete). `defs` are the
// request's AttributeDefinitions; `creating` tells whether an index of the table is still being
// filled.
void ApplyIndexUpdates(const boost::json::value& updates, const AttributeDefinitions& defs,
                       bool creating, store::TableInfo* info);
// The names of the indexes GlobalSecondaryIndexUpdates deletes.
std::vector<std::string> DeletedIndexNames(const boost::json::value& updates);

// Adds GlobalSecondaryIndexes / LocalSecondaryIndexes (and their key attributes to
// AttributeDefinitions) to a TableDescription. Indexes named in `deleting` show DELETING.
void DescribeIndexes(const OpContext& ctx, const store::TableInfo& info,
                     const std::vector<std::string>& deleting, boost::json::object* t);

}  // namespace meridian::api
