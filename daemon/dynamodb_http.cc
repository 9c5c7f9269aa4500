#include "daemon/dynamodb_http.h"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <chrono>
#include <ctime>
#include <optional>
#include <random>
#include <variant>

#include "common/wall_clock.h"
#include "daemon/api/api.h"
#include "daemon/http_encoding.h"
#include "daemon/metrics.h"
#include "security/sigv4.h"
#include "store/store.h"

namespace meridian::daemon {
namespace {

constexpr std::string_view kJsonType = "application/x-amz-json-1.0";
// What a browser page may read of a reply (the AWS SDK for JavaScript reads these).
constexpr std::string_view kExposedHeaders =
    "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,x-amz-crc32,Date";
constexpr std::string_view kPreflightMaxAge = "86400";

// "Mon, 07 Dec 2026 01:23:52 GMT", formatted once a second per thread.
const std::string& HttpDate() {
  thread_local std::time_t cached_second = -1;
  thread_local std::string text;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    const size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    text.assign(buf, n);
    cached_second = now;
  }
  return text;
}

// 52 characters of [A-Z0-9], like DynamoDB's request ids.
std::string RequestId() {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 gen{std::random_device{}()};
  std::string id(52, '\0');
  for (size_t i = 0; i < id.size();) {
    uint64_t r = gen();
    for (int k = 0; k < 12 && i < id.size(); ++k, ++i) {
      id[i] = kChars[r % 36];
      r /= 36;
    }
  }
  return id;
}

bool OriginAllowed(std::string_view allowed, std::string_view origin) {
  size_t start = 0;
  while (start <= allowed.size()) {
    size_t comma = allowed.find(',', start);
    if (comma == std::string_view::npos) comma = allowed.size();
    std::string_view entry = allowed.substr(start, comma - start);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry == "*" || entry == origin) return true;
    start = comma + 1;
  }
  return false;
}

// What the reply to one request needs from the request, kept until the reply is sent.
struct ReplyContext {
  std::optional<ContentCoding> coding;  // from Accept-Encoding
  std::string allow_origin;             // Access-Control-Allow-Origin; empty: no CORS
  size_t compression_threshold = 0;
};

ReplyContext ContextFor(const HttpRequest& req, const DynamoDbHttpOptions& options) {
  ReplyContext ctx;
  ctx.compression_threshold = options.compression_threshold;
  if (auto accept = FindHeader(req, "Accept-Encoding"); !accept.empty()) {
    ctx.coding = NegotiateResponseCoding(accept);
  }
  if (auto origin = FindHeader(req, "Origin"); !origin.empty()) {
    const bool any = options.cors_allowed_origins == "*";
    if (any) {
      ctx.allow_origin = "*";
    } else if (OriginAllowed(options.cors_allowed_origins, origin)) {
      ctx.allow_origin = std::string(origin);
    }
  }
  return ctx;
}

// Adds the headers every DynamoDB reply carries and compresses a large body.
void Decorate(const ReplyContext& ctx, HttpResponse* r) {
  if (ctx.coding && r->body.size() >= ctx.compression_threshold && !r->body.empty()) {
    r->body = Compress(*ctx.coding, r->body);
    r->headers.emplace_back("Content-Encoding", std::string(ContentCodingName(*ctx.coding)));
  }
  r->headers.emplace_back("Date", HttpDate());
  r->headers.emplace_back("Server", "Server");
  r->headers.emplace_back("x-amzn-RequestId", RequestId());
  r->headers.emplace_back("X-Amz-Crc32", std::to_string(Crc32(r->body)));
  if (!ctx.allow_origin.empty()) {
    r->headers.emplace_back("Access-Control-Allow-Origin", ctx.allow_origin);
    r->headers.emplace_back("Access-Control-Expose-Headers", std::string(kExposedHeaders));
    if (ctx.allow_origin != "*") r->headers.emplace_back("Vary", "Origin");
  }
}

HttpResponse JsonError(int status, std::string_view type, std::string_view message) {
  boost::json::object body{{"__type", type}, {"message", message}};
  return HttpResponse{status, std::string(kJsonType), boost::json::serialize(body), {}};
}

class DynamoDbHandler {
 public:
  DynamoDbHandler(DynamoDbHttpOptions options, api::Api* api, store::Store* db, Metrics* metrics,
                  const security::Authenticator* auth)
      : options_(std::move(options)), api_(api), db_(db), metrics_(metrics), auth_(auth) {}

  void operator()(HttpRequest& req, const HttpResponder& respond) const {
    ReplyContext ctx = ContextFor(req, options_);
    auto send = [&ctx, &respond](HttpResponse r) {
      Decorate(ctx, &r);
      respond(std::move(r));
    };
    if (req.method == "GET" || req.method == "HEAD") return send(HealthCheck(req));
    if (req.method == "OPTIONS") return send(Preflight(req, ctx));
    if (req.method != "POST") {
      HttpResponse r = JsonError(405, "com.amazon.coral.service#UnknownOperationException",
                                 "Method not allowed: " + req.method);
      r.headers.emplace_back("Allow", "GET, POST, OPTIONS");
      return send(std::move(r));
    }
    Post(req, std::move(ctx), respond);
  }

 private:
  // DynamoDB answers GET / with its own host name; other paths are not found.
  HttpResponse HealthCheck(const HttpRequest& req) const {
    const std::string_view path = std::string_view(req.target).substr(0, req.target.find('?'));
    if (path != "/") {
      return JsonError(404, "com.amazon.coral.service#UnknownOperationException",
                       "Unknown path: " + std::string(path));
    }
    std::string_view host = FindHeader(req, "Host");
    std::string name =
        host.empty() ? "dynamodb." + options_.region + ".amazonaws.com" : std::string(host);
    return HttpResponse{200, "text/plain", "healthy: " + name, {}};
  }

  static HttpResponse Preflight(const HttpRequest& req, const ReplyContext& ctx) {
    HttpResponse r{200, "text/plain", "", {}};
    if (ctx.allow_origin.empty()) return r;
    r.headers.emplace_back("Access-Control-Max-Age", std::string(kPreflightMaxAge));
    std::string_view method = FindHeader(req, "Access-Control-Request-Method");
    r.headers.emplace_back("Access-Control-Allow-Methods",
                           method.empty() ? "GET, POST, OPTIONS" : std::string(method));
    if (auto headers = FindHeader(req, "Access-Control-Request-Headers"); !headers.empty()) {
      r.headers.emplace_back("Access-Control-Allow-Headers", std::string(headers));
    }
    return r;
  }

  void Post(HttpRequest& req, ReplyContext ctx, const HttpResponder& respond) const {
    const auto start = std::chrono::steady_clock::now();
    auto observe = [metrics = metrics_, start](const api::ApiResponse& done) {
      metrics->ObserveRequest(
          done, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    };
    auto reject = [&](int status, std::string_view type, std::string_view message) {
      api::ApiResponse denied;
      denied.status = status;
      denied.error_type = std::string(type.substr(type.find('#') + 1));
      observe(denied);
      HttpResponse r = JsonError(status, type, message);
      Decorate(ctx, &r);
      respond(std::move(r));
    };
    const security::AccessKey* principal = nullptr;
    if (auth_) {  // the signature covers the body as sent, before decoding
      auto result =
          auth_->Authenticate({req.method, req.target, &req.headers, req.body}, WallClockMillis());
      if (auto* error = std::get_if<security::AuthError>(&result)) {
        return reject(400, error->type, error->message);
      }
      principal = std::get<const security::AccessKey*>(result);
    }
    if (auto coding = FindHeader(req, "Content-Encoding"); !coding.empty()) {
      DecodeResult decoded =
          DecodeRequestBody(coding, std::move(req.body), options_.max_decoded_body);
      if (decoded.error == DecodeError::kUnsupportedCoding) {
        return reject(415, "com.amazon.coral.service#SerializationException",
                      "Unsupported Content-Encoding: " + std::string(coding));
      }
      if (decoded.error == DecodeError::kTooLarge) {
        return reject(413, "com.amazon.coral.validate#ValidationException",
                      "Request size exceeded the maximum allowed size");
      }
      if (decoded.error) {
        return reject(400, "com.amazon.coral.service#SerializationException",
                      "The request body is not valid " + std::string(coding) + " data");
      }
      req.body = std::move(decoded.body);
    }

    api::ApiResponse r = api_->Handle(req.amz_target, req.body, principal);
    HttpResponse response{r.status, std::string(kJsonType), std::move(r.body), {}};
    if (r.commit_seq == 0) {
      observe(r);
      Decorate(ctx, &response);
      return respond(std::move(response));
    }
    const uint64_t commit_seq = r.commit_seq;
    bool schedule =
        db_->WhenDurable(commit_seq, [respond, response = std::move(response), r = std::move(r),
                                      observe, ctx = std::move(ctx)](const Status& st) mutable {
          if (!st.ok()) {
            r.error_type = "InternalServerError";
            response = JsonError(500, "com.amazonaws.dynamodb.v20120810#InternalServerError",
                                 "Internal server error");
          }
          observe(r);
          Decorate(ctx, &response);
          respond(std::move(response));
        });
    if (schedule) PostToCurrentWorker([db = db_] { db->CommitPending(); });
  }

  DynamoDbHttpOptions options_;
  api::Api* api_;
  store::Store* db_;
  Metrics* metrics_;
  const security::Authenticator* auth_;
};

}  // namespace

HttpHandler MakeDynamoDbHandler(DynamoDbHttpOptions options, api::Api* api, store::Store* store,
                                Metrics* metrics, const security::Authenticator* auth) {
  auto handler = std::make_shared<DynamoDbHandler>(std::move(options), api, store, metrics, auth);
  return [handler](HttpRequest& req, const HttpResponder& respond) { (*handler)(req, respond); };
}

}  // namespace meridian::daemon
