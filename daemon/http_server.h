// A small HTTP/1.1 keep-alive server on Boost.Asio and Beast's parser, shared by the
// DynamoDB API port and the admin port. It owns its io_context and worker threads; handlers
// run on those threads and must be thread-safe.
//
// The request path is built to cost little per request: a request is handed to its handler
// as views into the connection's read buffer (nothing is copied or allocated for it);
// pipelined requests are all dispatched before anything is written, and the replies that are
// ready in order go out in one write. Requests over `max_body_bytes` get 413, a header
// section over 64 KiB 431; malformed HTTP gets 400 and the connection closes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace meridian::daemon {

// One header field as received (name in its original case).
using HttpHeader = std::pair<std::string_view, std::string_view>;

// A request, as views into the connection's buffer: valid only while the handler runs
// (copy what an asynchronous reply needs later).
struct HttpRequest {
  std::string_view method;      // "GET", "POST", ...
  std::string_view target;      // path and query
  std::string_view amz_target;  // X-Amz-Target header, empty if absent
  std::string_view body;
  std::span<const HttpHeader> headers;  // every header, in arrival order
};

// The value of header `name` (case-insensitive) of `request`, "" when absent.
std::string_view FindHeader(const HttpRequest& request, std::string_view name);

struct HttpResponse {
  int status = 200;
  std::string_view content_type = "application/json";  // a string literal (outlives the send)
  std::string body;
  std::string headers;  // more header lines, each "Name: value\r\n"
};

class Connection;

// Sends the response of one request. Call exactly once, from any thread. Cheap to copy
// (a reference to the connection and the request's place in its pipeline).
class HttpResponder {
 public:
  HttpResponder(std::shared_ptr<Connection> connection, uint64_t slot)
      : connection_(std::move(connection)), slot_(slot) {}
  void operator()(HttpResponse response) const;

 private:
  std::shared_ptr<Connection> connection_;
  uint64_t slot_;
};

// Handles one request: answers now or later through the responder.
using HttpHandler = std::function<void(const HttpRequest& request, const HttpResponder& respond)>;
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
  // Most requests of one connection handled before their replies are written (pipelining).
  size_t max_pipelined = 32;
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
