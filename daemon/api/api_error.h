// DynamoDB errors as the API returns them: a `__type` (namespace#Name), an HTTP status and
// a message. Inside daemon/api, operations throw ApiError; Api::Handle catches it at the
// boundary and renders the body. Nothing else in the process throws it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace meridian::api {

struct ApiError {
  std::string type;  // full __type, e.g. "com.amazon.coral.validate#ValidationException"
  int http_status = 400;
  std::string message;
  // More members of the error body, each (name, serialized JSON): the "Item" of a
  // ConditionalCheckFailedException with ReturnValuesOnConditionCheckFailure = ALL_OLD, the
  // "CancellationReasons" of a TransactionCanceledException.
  std::vector<std::pair<std::string, std::string>> members;
  // The body says "Message", not "message" (TransactionCanceledException does).
  bool capital_message = false;

  ApiError(std::string type_, int http_status_, std::string message_)
      : type(std::move(type_)), http_status(http_status_), message(std::move(message_)) {}

  static ApiError Validation(std::string msg) {
    return {"com.amazon.coral.validate#ValidationException", 400, std::move(msg)};
  }
  static ApiError Serialization(std::string msg) {
    return {"com.amazon.coral.service#SerializationException", 400, std::move(msg)};
  }
  static ApiError UnknownOperation(std::string msg) {
    return {"com.amazon.coral.service#UnknownOperationException", 400, std::move(msg)};
  }
  static ApiError ResourceNotFound(std::string msg) {
    return {"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", 400, std::move(msg)};
  }
  static ApiError ResourceInUse(std::string msg) {
    return {"com.amazonaws.dynamodb.v20120810#ResourceInUseException", 400, std::move(msg)};
  }
  static ApiError ConditionalCheckFailed(std::string msg = "The conditional request failed") {
    return {"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", 400,
            std::move(msg)};
  }
  static ApiError LimitExceeded(std::string msg) {
    return {"com.amazonaws.dynamodb.v20120810#LimitExceededException", 400, std::move(msg)};
  }
  static ApiError TransactionCanceled(std::string msg) {
    return {"com.amazonaws.dynamodb.v20120810#TransactionCanceledException", 400, std::move(msg)};
  }
  static ApiError IdempotentParameterMismatch(std::string msg) {
    return {"com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException", 400,
            std::move(msg)};
  }
  // DynamoDB's error `type` ("BackupNotFoundException"), HTTP 400.
  static ApiError Service(std::string_view type, std::string msg) {
    return {"com.amazonaws.dynamodb.v20120810#" + std::string(type), 400, std::move(msg)};
  }
  static ApiError Internal(std::string msg) {
    return {"com.amazonaws.dynamodb.v20120810#InternalServerError", 500, std::move(msg)};
  }
  // Maps a store/model Status onto the DynamoDB error family.
  static ApiError FromStatus(const Status& status);
};

// Throws FromStatus(status) unless status is OK.
inline void ThrowIfError(const Status& status) {
  if (!status.ok()) throw ApiError::FromStatus(status);
}

}  // namespace meridian::api
