#include "common/status.h"

namespace meridian {

std::string Status::ToString() const {
  const char* name = "OK";
  switch (code_) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: name = "InvalidArgument"; break;
    case Code::kNotFound: name = "NotFound"; break;
    case Code::kResourceInUse: name = "ResourceInUse"; break;
    case Code::kConditionFailed: name = "ConditionFailed"; break;
    case Code::kLimitExceeded: name = "LimitExceeded"; break;
    case Code::kCorruption: name = "Corruption"; break;
    case Code::kIOError: name = "IOError"; break;
    case Code::kInternal: name = "Internal"; break;
    case Code::kConflict: name = "Conflict"; break;
  }
  return std::string(name) + ": " + message_;
}

}  // namespace meridian
