#include "daemon/dynamodb_http.h"

#include <spdlog/spdlog.h>
#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <charconv>
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

// 52 characters of [A-Z0-9], like DynamoDB's request ids (32 of the 36 characters).
void AppendRequestId(std::string* out) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  constexpr size_t kLength = 52;   // as DynamoDB's
  constexpr size_t kCounted = 13;  // 65 bits: a 64-bit counter in base32
  // Random per thread (from the OS) in front; the thread's request count at the end: unique
  // without drawing random numbers for every reply.
  struct Ids {
    char text[kLength];
    uint64_t count = 0;
    Ids() {
      std::random_device rd;
      for (char& c : text) c = kChars[rd() & 31];
    }
  };
  thread_local Ids ids;
  uint64_t n = ++ids.count;
  for (size_t i = kLength; i-- > kLength - kCounted; n >>= 5) ids.text[i] = kChars[n & 31];
  out->append(ids.text, kLength);
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

// The headers this layer reads, found in one pass.
struct RequestHeaders {
  std::string_view accept_encoding, origin, content_encoding, host;
};

RequestHeaders HeadersOf(const HttpRequest& req) {
  RequestHeaders h;
  for (const auto& [name, value] : req.headers) {
    if (boost::beast::iequals(name, "Accept-Encoding"))
      h.accept_encoding = value;
    else if (boost::beast::iequals(name, "Origin"))
      h.origin = value;
    else if (boost::beast::iequals(name, "Content-Encoding"))
      h.content_encoding = value;
    else if (boost::beast::iequals(name, "Host"))
      h.host = value;
  }
  return h;
}

ReplyContext ContextFor(const RequestHeaders& h, const DynamoDbHttpOptions& options) {
  ReplyContext ctx;
  ctx.compression_threshold = options.compression_threshold;
  if (!h.accept_encoding.empty()) ctx.coding = NegotiateResponseCoding(h.accept_encoding);
  if (!h.origin.empty()) {
    if (options.cors_allowed_origins == "*") {
      ctx.allow_origin = "*";
    } else if (OriginAllowed(options.cors_allowed_origins, h.origin)) {
      ctx.allow_origin = std::string(h.origin);
    }
  }
  return ctx;
}

void AddHeader(std::string_view name, std::string_view value, std::string* headers) {
  headers->append(name);
  headers->append(": ");
  headers->append(value);
  headers->append("\r\n");
}

// Adds the headers every DynamoDB reply carries and compresses a large body.
void Decorate(const ReplyContext& ctx, HttpResponse* r) {
  if (ctx.coding && r->body.size() >= ctx.compression_threshold && !r->body.empty()) {
    r->body = Compress(*ctx.coding, r->body);
    AddHeader("Content-Encoding", ContentCodingName(*ctx.coding), &r->headers);
  }
  std::string& h = r->headers;
  h.reserve(h.size() + 160);
  AddHeader("Date", HttpDate(), &h);
  h.append("Server: Server\r\nx-amzn-RequestId: ");
  AppendRequestId(&h);
  h.append("\r\nX-Amz-Crc32: ");
  char crc[16];
  h.append(crc, std::to_chars(crc, crc + sizeof crc, Crc32(r->body)).ptr);
  h.append("\r\n");
  if (!ctx.allow_origin.empty()) {
    AddHeader("Access-Control-Allow-Origin", ctx.allow_origin, &h);
    AddHeader("Access-Control-Expose-Headers", kExposedHeaders, &h);
    if (ctx.allow_origin != "*") h.append("Vary: Origin\r\n");
  }
}

HttpResponse JsonError(int status, std::string_view type, std::string_view message) {
  boost::json::object body{{"__type", type}, {"message", message}};
  return HttpResponse{status, kJsonType, boost::json::serialize(body), {}};
}

// Group commits asked for by API workers. One worker at a time commits; a worker that asks
// while another is committing does not wait for it but goes on serving requests: the
// committing worker commits once more for it, queued behind its own pending requests, so
// no worker blocks on another and none is kept committing for the others.
class GroupCommitter : public std::enable_shared_from_this<GroupCommitter> {
 public:
  explicit GroupCommitter(store::Store* db) : db_(db) {}

  void Request() {
    if (requests_.fetch_add(1) == 0) {
      PostToCurrentWorker([self = shared_from_this()] { self->Commit(1); });
    }
  }

 private:
  // Every request counted before this commit started is served by it.
  void Commit(uint64_t served) {
    db_->CommitPending();
    const uint64_t remaining = requests_.fetch_sub(served) - served;
    if (remaining != 0) {
      PostToCurrentWorker([self = shared_from_this(), remaining] { self->Commit(remaining); });
    }
  }

  store::Store* db_;
  std::atomic<uint64_t> requests_{0};
};

class DynamoDbHandler {
 public:
  DynamoDbHandler(DynamoDbHttpOptions options, api::Api* api, store::Store* db, Metrics* metrics,
                  const security::Authenticator* auth)
      : options_(std::move(options)),
        api_(api),
        db_(db),
        committer_(std::make_shared<GroupCommitter>(db)),
        metrics_(metrics),
        auth_(auth) {}

  void operator()(const HttpRequest& req, const HttpResponder& respond) const {
    const RequestHeaders headers = HeadersOf(req);
    ReplyContext ctx = ContextFor(headers, options_);
    auto send = [&ctx, &respond](HttpResponse r) {
      Decorate(ctx, &r);
      respond(std::move(r));
    };
    if (req.method == "GET") return send(HealthCheck(req, headers));
    if (req.method == "OPTIONS") return send(Preflight(req, ctx));
    if (req.method != "POST") {
      HttpResponse r = JsonError(405, "com.amazon.coral.service#UnknownOperationException",
                                 "Method not allowed: " + std::string(req.method));
      r.headers = "Allow: GET, POST, OPTIONS\r\n";
      return send(std::move(r));
    }
    Post(req, headers, std::move(ctx), respond);
  }

 private:
  // DynamoDB answers GET / with its own host name; other paths are not found.
  HttpResponse HealthCheck(const HttpRequest& req, const RequestHeaders& headers) const {
    const std::string_view path = req.target.substr(0, req.target.find('?'));
    if (path != "/") {
      return JsonError(404, "com.amazon.coral.service#UnknownOperationException",
                       "Unknown path: " + std::string(path));
    }
    std::string name = headers.host.empty() ? "dynamodb." + options_.region + ".amazonaws.com"
                                            : std::string(headers.host);
    return HttpResponse{200, "text/plain", "healthy: " + name, {}};
  }

  static HttpResponse Preflight(const HttpRequest& req, const ReplyContext& ctx) {
    HttpResponse r{200, "text/plain", "", {}};
    if (ctx.allow_origin.empty()) return r;
    AddHeader("Access-Control-Max-Age", kPreflightMaxAge, &r.headers);
    std::string_view method = FindHeader(req, "Access-Control-Request-Method");
    AddHeader("Access-Control-Allow-Methods", method.empty() ? "GET, POST, OPTIONS" : method,
              &r.headers);
    if (auto headers = FindHeader(req, "Access-Control-Request-Headers"); !headers.empty()) {
      AddHeader("Access-Control-Allow-Headers", headers, &r.headers);
    }
    return r;
  }

  void Post(const HttpRequest& req, const RequestHeaders& headers, ReplyContext ctx,
            const HttpResponder& respond) const {
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
          auth_->Authenticate({req.method, req.target, req.headers, req.body}, WallClockMillis());
      if (auto* error = std::get_if<security::AuthError>(&result)) {
        return reject(400, error->type, error->message);
      }
      principal = std::get<const security::AccessKey*>(result);
    }
    std::string_view body = req.body;
    std::string decoded_body;
    if (const std::string_view coding = headers.content_encoding; !coding.empty()) {
      DecodeResult decoded =
          DecodeRequestBody(coding, std::string(req.body), options_.max_decoded_body);
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
      decoded_body = std::move(decoded.body);
      body = decoded_body;
    }

    api::ApiResponse r = api_->Handle(req.amz_target, body, principal);
    HttpResponse response{r.status, kJsonType, std::move(r.body), {}};
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
    if (schedule) committer_->Request();
  }

  DynamoDbHttpOptions options_;
  api::Api* api_;
  store::Store* db_;
  std::shared_ptr<GroupCommitter> committer_;
  Metrics* metrics_;
  const security::Authenticator* auth_;
};

}  // namespace

HttpHandler MakeDynamoDbHandler(DynamoDbHttpOptions options, api::Api* api, store::Store* store,
                                Metrics* metrics, const security::Authenticator* auth) {
  auto handler = std::make_shared<DynamoDbHandler>(std::move(options), api, store, metrics, auth);
  return
      [handler](const HttpRequest& req, const HttpResponder& respond) { (*handler)(req, respond); };
}

}  // namespace meridian::daemon
