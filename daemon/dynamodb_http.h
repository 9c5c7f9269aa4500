// The DynamoDB endpoint over HTTP, as DynamoDB's own endpoint behaves (docs/conformance.md):
//   POST (any path)  one API call: SigV4 (when configured), Content-Encoding gzip/deflate
//                    request bodies, the operation, then the reply once durable;
//   GET /            the health check, "healthy: <host the client addressed>";
//   OPTIONS          CORS preflight;
// and on every reply Date, Server, x-amzn-RequestId, X-Amz-Crc32, CORS headers for
// allowed origins, gzip/deflate compression of large bodies when Accept-Encoding asks.
#pragma once

#include <cstddef>
#include <string>

#include "daemon/http_server.h"

namespace meridian::api {
class Api;
}  // namespace meridian::api
namespace meridian::store {
class Store;
}  // namespace meridian::store
namespace meridian::security {
class Authenticator;
}  // namespace meridian::security

namespace meridian::daemon {

class Metrics;

struct DynamoDbHttpOptions {
  std::string region = "us-east-1";
  // Origins whose browser pages may call the API (comma-separated; "*" = any; empty = none).
  std::string cors_allowed_origins = "*";
  // Replies at least this large are compressed when the client accepts gzip or deflate.
  size_t compression_threshold = 4096;
  // Largest request body after Content-Encoding is undone (DynamoDB: 16 MB).
  size_t max_decoded_body = size_t{16} * 1024 * 1024;
};

// The handler for the API port. `api`, `store` and `metrics` must outlive it; `auth` may be
// null (no authentication).
HttpHandler MakeDynamoDbHandler(DynamoDbHttpOptions options, api::Api* api, store::Store* store,
                                Metrics* metrics, const security::Authenticator* auth);

}  // namespace meridian::daemon
