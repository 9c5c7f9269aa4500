// The DynamoDB JSON 1.0 API: one call per HTTP request, independent of the transport.
// Thread safety: Handle may be called concurrently from any number of threads.
#pragma once

#include <string>
#include <string_view>

namespace meridian::store {
class Store;
}

namespace meridian::api {

struct ApiOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
};

struct ApiResponse {
  int status = 200;
  std::string body;  // JSON
};

class Api {
 public:
  // `store` must outlive the Api.
  Api(store::Store* store, ApiOptions options);

  // `target` is the X-Amz-Target header ("DynamoDB_20120810.PutItem"); `body` the request
  // body. Never throws: every failure becomes a DynamoDB error body.
  ApiResponse Handle(std::string_view target, std::string_view body) const;

 private:
  store::Store* store_;
  ApiOptions options_;
};

}  // namespace meridian::api
