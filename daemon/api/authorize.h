// Which IAM permissions a DynamoDB request needs (docs/security.md): the action, the
// resource ARN and the condition keys of fine-grained access control (LeadingKeys,
// Attributes, Select, ReturnValues). BatchGetItem/BatchWriteItem need their action on every
// table; TransactWriteItems/TransactGetItems need each item's own action on its table.
// Private to daemon/api.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/api/operations.h"
#include "security/policy.h"

namespace meridian::api {

struct AccessCheck {
  std::string action;    // "dynamodb:PutItem"
  std::string resource;  // "arn:aws:dynamodb:REGION:ACCOUNT:table/NAME", or "*"
  security::ConditionContext context;
};

// The checks of one request to `operation` ("PutItem"). Never throws: a request too
// malformed to name its keys gets checks without those condition keys, and the operation
// then rejects it. `condition_keys` false: the policy has no Condition, so the item
// operations' checks leave their condition keys out (they cost more than the evaluation).
std::vector<AccessCheck> RequiredAccess(std::string_view operation, const Request& req,
                                        const OpContext& ctx, bool condition_keys = true);

}  // namespace meridian::api
