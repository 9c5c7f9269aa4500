// DynamoDB's TableDescription for a stored table. Private to daemon/api.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "daemon/api/operations.h"
#include "store/table_info.h"

namespace meridian::api {

boost::json::object DescribeTableInfo(const OpContext& ctx, const store::TableInfo& info,
                                      std::string_view status);

}  // namespace meridian::api
