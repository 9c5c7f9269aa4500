// A small HTTP/1.1 keep-alive server on Boost.Beast, shared by the DynamoDB API port and the
// admin port. It owns its io_context and worker threads; handlers run on those threads and
// must be thread-safe. Requests over `max_body_bytes` get 413; malformed HTTP closes the
// connection; idle connections close after `idle_timeout_s`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace meridian::daemon {

struct HttpRequest {
  std::string method;      // "GET", "POST", ...
  std::string target;      // path and query
  std::string amz_target;  // X-Amz-Target header, empty if absent
  std::string body;
  // Every header as received (name, value), only with HttpServerOptions::keep_headers; the
  // server takes them back when the handler returns (read them before any async work).
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// The value of header `name` (case-insensitive), "" when absent. REQUIRES: the server kept
// the headers (HttpServerOptions::keep_headers); valid while `request.headers` is.
std::string_view FindHeader(const HttpRequest& request, std::string_view name);

// Sends the response for one request. Call exactly once, from any thread.
using HttpResponder = std::function<void(HttpResponse)>;
// Handles one request: answers now or later through the responder.
using HttpHandler = std::function<void(HttpRequest& request, HttpResponder respond)>;
// Adapts a handler that always answers at once.
HttpHandler SyncHandler(std::function<HttpResponse(const HttpRequest&)> handler);

// Runs `fn` on the calling worker thread after the handlers already queued there (so work
// from several connections can be batched), or at once when not called from a worker.
void PostToCurrentWorker(std::function<void()> fn);

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 = any free port (see bound_port())
  int threads = 1;
  size_t max_body_bytes = 16 * 1024 * 1024 + 4096;
  int idle_timeout_s = 300;
  bool keep_headers = false;  // fill HttpRequest::headers (SigV4 needs them)
  // HTTPS (TLS 1.2 or later) when set: PEM certificate chain and private key files. With
  // tls_client_ca, clients must present a certificate signed by that CA.
  std::string tls_cert = {};
  std::string tls_key = {};
  std::string tls_client_ca = {};
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();  // stops if running

  // Binds and starts the worker threads. IOError if the address cannot be bound,
  // InvalidArgument for unusable TLS files.
  Status Start();
  // The port actually bound (useful with port 0). REQUIRES: Start() succeeded.
  uint16_t bound_port() const;
  // Stops accepting, closes connections and joins the threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses "host:port". InvalidArgument on malformed input.
Result<std::pair<std::string, uint16_t>> ParseHostPort(const std::string& text);

}  // namespace meridian::daemon
