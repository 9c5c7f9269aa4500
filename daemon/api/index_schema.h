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

// AttributeDefinitions of CreateTable / UpdateTable (ops_table.cc), when present.
void ParseAttributeDefinitions(const Request& req, AttributeDefinitions* defs,
                               ConstraintErrors* errors);

// Parses and checks the request's GlobalSecondaryIndexes and LocalSecondaryIndexes into
// info->indexes. REQUIRES: info's key schema and billing mode are set and valid.
void ParseCreateTableIndexes(const Request& req, const AttributeDefinitions& defs,
                             store::TableInfo* info);

// Checks that every AttributeDefinition is a key of the table or of one of its indexes.
void CheckAttributeDefinitionsUsed(const AttributeDefinitions& defs, const store::TableInfo& info);

// Applies UpdateTable's GlobalSecondaryIndexUpdates to `info` (Create: a new index with id 0
// that the store fills; Update: its throughput; Delete). `defs` are the request's
// AttributeDefinitions; `creating` tells whether an index of the table is still being filled.
void ApplyIndexUpdates(const boost::json::value& updates, const AttributeDefinitions& defs,
                       bool creating, store::TableInfo* info);
// The names of the indexes GlobalSecondaryIndexUpdates deletes.
std::vector<std::string> DeletedIndexNames(const boost::json::value& updates);

// Adds GlobalSecondaryIndexes / LocalSecondaryIndexes (and their key attributes to
// AttributeDefinitions) to a TableDescription. Indexes named in `deleting` show DELETING.
void DescribeIndexes(const OpContext& ctx, const store::TableInfo& info,
                     const std::vector<std::string>& deleting, boost::json::object* t);

}  // namespace meridian::api
