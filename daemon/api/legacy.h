// DynamoDB's legacy (pre-expression) parameters, translated into the expression machinery:
//   Expected (+ ConditionalOperator)      -> ConditionExpression
//   QueryFilter / ScanFilter (+ ConditionalOperator) -> FilterExpression
//   AttributesToGet                       -> ProjectionExpression
//   AttributeUpdates                      -> UpdateExpression
//   KeyConditions                         -> KeyConditionExpression
// Each is rewritten as expression text over private #name/:value placeholders and parsed by
// model/expression.h, so evaluation is shared; the legacy validation messages are DynamoDB's.
// Private to daemon/api; functions throw ApiError.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "model/expression.h"

namespace meridian::api {

// "Can not use both expression and non-expression parameters in the same request: ...".
void RejectMixedParameters(const boost::json::object& req);

// The legacy counterpart of an expression member, or nullptr / nullopt when the request
// has none. `expression_member` is "ConditionExpression" (Expected) or "FilterExpression"
// (QueryFilter or ScanFilter).
model::expr::Condition LegacyCondition(const boost::json::object& req,
                                       std::string_view expression_member);
std::optional<std::vector<model::expr::Path>> LegacyProjection(const boost::json::object& req);
model::expr::Update LegacyUpdate(const boost::json::object& req);
std::optional<model::expr::KeyCondition> LegacyKeyCondition(const boost::json::object& req);

}  // namespace meridian::api
