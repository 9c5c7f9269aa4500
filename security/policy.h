// IAM identity policies (AWS's policy JSON) and their evaluation: Effect, Action/NotAction
// with wildcards, Resource/NotResource ARNs with wildcards and policy variables, Condition
// with the string operators (…IfExists, ForAllValues:/ForAnyValue:) and Null. An explicit
// Deny beats any Allow; no matching Allow is an implicit deny.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace meridian::security {

// The condition keys of one request and their values ("dynamodb:LeadingKeys" -> ["u1"]).
// Names compare case-insensitively; a key not added is absent from the request.
class ConditionContext {
 public:
  void Add(std::string_view key, std::string value);
  // Makes the key present even with no values (an empty set).
  void Touch(std::string_view key);
  // Values of the key, or nullptr when absent.
  const std::vector<std::string>* Find(std::string_view key) const;

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> keys_;  // lowercase names
};

// The values of ${aws:username}, ${aws:userid} and ${aws:PrincipalAccount} (views of the
// access key's strings: evaluated once per request, never stored).
struct PolicyVariables {
  std::string_view username;
  std::string_view userid;
  std::string_view account;
};

struct AccessRequest {
  std::string_view action;    // "dynamodb:GetItem"
  std::string_view resource;  // an ARN, or "*" for actions without resource-level permissions
  const ConditionContext* context = nullptr;
};

enum class Decision { kAllow, kImplicitDeny, kExplicitDeny };

class Policy {
 public:
  struct Condition;
  struct Statement;

  // Parses a policy document. InvalidArgument naming what is wrong.
  static Result<std::shared_ptr<const Policy>> Parse(std::string_view json);
  ~Policy();

  Decision Evaluate(const AccessRequest& request, const PolicyVariables& vars) const;
  // Does any statement have a Condition? Without one, requests need no condition keys.
  bool has_conditions() const { return has_conditions_; }

 private:
  Policy();
  std::vector<Statement> statements_;
  bool variables_ = false;  // Version 2012-10-17: ${...} are policy variables
  bool has_conditions_ = false;
};

// IAM's wildcard match: '*' any run of characters, '?' one character, '\\' escapes the next.
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace meridian::security
