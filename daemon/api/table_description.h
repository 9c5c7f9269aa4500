// DynamoDB's TableDescription for a stored table. Private to daemon/api.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/api/operations.h"
#include "store/table_info.h"

namespace meridian::api {

class ConstraintErrors;

// The TableId DynamoDB shows (a UUID), made from the local table id.
std::string TableUuid(uint32_t table_id);

// DynamoDB's TableDescription; `status` is the table's status unless a replica or an index
// is being created (then UPDATING, as DynamoDB reports it). The indexes named in `deleting`
// show IndexStatus DELETING.
boost::json::object DescribeTableInfo(const OpContext& ctx, const store::TableInfo& info,
                                      std::string_view status,
                                      const std::vector<std::string>& deleting = {});
// Adds GlobalTableVersion and Replicas (the other regions) for a table with replicas in more
// than one region, and turns TableStatus ACTIVE into UPDATING while any is CREATING.
void DescribeReplicas(const OpContext& ctx, const store::TableInfo& info, boost::json::object* t);
// BillingMode and ProvisionedThroughput of CreateTable (and UpdateTable) into `info`.
void ParseBilling(const Request& req, store::TableInfo* info, ConstraintErrors* errors);

}  // namespace meridian::api
