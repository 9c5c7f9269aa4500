#include "daemon/admin.h"

#include <boost/json.hpp>

#include <chrono>

#include "store/store.h"

namespace meridian::daemon {
namespace json = boost::json;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json::object Envelope(const ServerIdentity& id) {
  return json::object{{"region", id.region}, {"server_id", id.server_id}, {"now", NowMs()}};
}

HttpResponse JsonResponse(int status, const json::object& body) {
  return HttpResponse{status, "application/json", json::serialize(body) + "\n", {}};
}

}  // namespace

HttpResponse Healthz(const ServerIdentity& id, const store::Store& store) {
  json::object body = Envelope(id);
  body["status"] = "ok";
  body["last_seq"] = store.last_seq();
  body["uptime_ms"] = NowMs() - id.start_time_ms;
  return JsonResponse(200, body);
}

HttpHandler MakeAdminHandler(const ServerIdentity* id, const store::Store* store) {
  return SyncHandler([id, store](const HttpRequest& req) -> HttpResponse {
    std::string path = req.target.substr(0, req.target.find('?'));
    if (req.method != "GET" && req.method != "HEAD") {
      json::object body = Envelope(*id);
      body["error"] = "method not allowed";
      return JsonResponse(405, body);
    }
    if (path == kHealthzPath) return Healthz(*id, *store);
    json::object body = Envelope(*id);
    body["error"] = "not found";
    body["paths"] = json::array{kHealthzPath};
    return JsonResponse(404, body);
  });
}

}  // namespace meridian::daemon
