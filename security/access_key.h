// An access key the daemon accepts (docs/security.md): who signs with it, in which account,
// and the identity policy that decides what it may do.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace meridian::security {

class Policy;

struct AccessKey {
  std::string id;      // "AKIA..."
  std::string secret;  // never logged
  std::string account_id = "000000000000";
  std::string user;  // IAM user name; empty: the account's root (arn:aws:iam::ACCOUNT:root)
  // Temporary credentials: requests must carry exactly this X-Amz-Security-Token.
  std::string session_token;
  int64_t expires_ms = 0;  // temporary credentials stop working then (0: never)
  // nullptr: the account's root, allowed everything (as AWS's root user is).
  std::shared_ptr<const Policy> policy;

  // The principal's ARN, as AccessDeniedException names it.
  std::string Arn() const {
    return user.empty() ? "arn:aws:iam::" + account_id + ":root"
                        : "arn:aws:iam::" + account_id + ":user/" + user;
  }
};

}  // namespace meridian::security
