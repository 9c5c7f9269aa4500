#include "tools/meridianctl/admin_client.h"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <limits>
#include <set>

#include "tools/meridianctl/http_client.h"

namespace meridian::ctl {
namespace json = boost::json;

namespace {

// A reply as a JSON object, or why it is not one.
AdminAnswer ToAnswer(const HttpReply& reply, const std::string& url) {
  AdminAnswer a;
  a.status = reply.status;
  if (!reply.ok()) {
    a.error = reply.error;
    return a;
  }
  boost::system::error_code ec;
  json::value v = json::parse(reply.body, ec);
  if (ec) {
    a.error = url + ": HTTP " + std::to_string(reply.status) + ", not JSON (" + ec.message() + ")";
  } else if (!v.is_object()) {
    a.error = url + ": HTTP " + std::to_string(reply.status) + ", JSON but not an object";
  } else {
    a.body = std::move(v.get_object());
  }
  return a;
}

}  // namespace

bool ClusterView::all_reachable() const {
  return std::all_of(regions.begin(), regions.end(), [](const Region& r) { return r.ok(); });
}

std::string NormalizeUrl(std::string_view url) {
  std::string out(url);
  if (out.find("://") == std::string::npos) out = "http://" + out;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

AdminClient::AdminClient(const std::vector<std::string>& admin_urls,
                         std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  std::set<std::string> seen;
  for (const auto& u : admin_urls) {
    std::string n = NormalizeUrl(u);
    if (seen.insert(n).second) seeds_.push_back(std::move(n));
  }
}

std::vector<AdminAnswer> AdminClient::CallAll(
    const std::vector<const Region*>& regions, std::string_view method, std::string_view path,
    std::optional<std::chrono::milliseconds> timeout) const {
  std::vector<HttpRequest> requests;
  requests.reserve(regions.size());
  for (const Region* r : regions) {
    requests.push_back(HttpRequest{std::string(method), r->admin_url + std::string(path)});
  }
  auto replies = FetchAll(requests, timeout.value_or(timeout_));
  std::vector<AdminAnswer> out;
  out.reserve(replies.size());
  for (size_t i = 0; i < replies.size(); ++i) out.push_back(ToAnswer(replies[i], requests[i].url));
  return out;
}

std::vector<const Region*> AdminClient::Reachable(const ClusterView& view) {
  std::vector<const Region*> out;
  for (const auto& r : view.regions) {
    if (r.ok()) out.push_back(&r);
  }
  return out;
}

ClusterView AdminClient::Discover() const {
  ClusterView view;
  std::set<std::string> urls_tried;
  std::set<std::string> names_known;
  std::vector<Region> round;
  for (const auto& u : seeds_) {
    round.emplace_back().admin_url = u;
    urls_tried.insert(u);
  }
  // A full mesh needs two rounds; a chain of regions that only know some peers, more.
  for (int depth = 0; !round.empty() && depth < 16; ++depth) {
    std::vector<const Region*> ptrs;
    ptrs.reserve(round.size());
    for (const auto& r : round) ptrs.push_back(&r);
    auto answers = CallAll(ptrs, "GET", "/regionz");
    std::vector<Region> next;
    std::set<std::string> pending;  // names of the regions in `next`
    for (size_t i = 0; i < round.size(); ++i) {
      Region r = std::move(round[i]);
      AdminAnswer& a = answers[i];
      if (a.ok() && a.status != 200) {
        a.error = r.admin_url + "/regionz: HTTP " + std::to_string(a.status);
      }
      if (!a.ok()) {
        r.error = a.error;
        view.regions.push_back(std::move(r));
        continue;
      }
      r.regionz = std::move(a.body);
      r.name = StringField(r.regionz, "region").value_or(r.name);
      r.region_id = IntField(r.regionz, "region_id").value_or(r.region_id);
      if (!r.name.empty() && !names_known.insert(r.name).second) continue;  // seen via another URL
      if (const json::array* peers = ArrayField(r.regionz, "peers")) {
        for (const auto& p : *peers) {
          if (!p.is_object()) continue;
          auto url = StringField(p.get_object(), "admin_url");
          if (!url || url->empty()) continue;
          std::string peer_name = StringField(p.get_object(), "region").value_or("");
          if (!peer_name.empty() &&
              (names_known.contains(peer_name) || pending.contains(peer_name)))
            continue;
          std::string n = NormalizeUrl(*url);
          if (!urls_tried.insert(n).second) continue;
          if (!peer_name.empty()) pending.insert(peer_name);
          Region& peer = next.emplace_back();
          peer.admin_url = n;
          peer.name = std::move(peer_name);
          peer.region_id = IntField(p.get_object(), "region_id").value_or(0);
          peer.from_peer = true;
        }
      }
      view.regions.push_back(std::move(r));
    }
    round = std::move(next);
  }
  // Peers with no admin URL known, neither given nor advertised.
  for (const auto& r : view.regions) {
    if (!r.name.empty()) names_known.insert(r.name);
  }
  std::set<std::string> missing;
  for (const auto& r : view.regions) {
    const json::array* peers = r.ok() ? ArrayField(r.regionz, "peers") : nullptr;
    if (!peers) continue;
    for (const auto& p : *peers) {
      if (!p.is_object()) continue;
      auto name = StringField(p.get_object(), "region");
      if (name && !name->empty() && !names_known.contains(*name)) missing.insert(*name);
    }
  }
  view.undiscovered.assign(missing.begin(), missing.end());
  std::stable_sort(view.regions.begin(), view.regions.end(), [](const Region& a, const Region& b) {
    if (a.ok() != b.ok()) return a.ok();
    return a.region_id < b.region_id;
  });
  return view;
}

std::optional<int64_t> IntField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) {
    return static_cast<int64_t>(
        std::min<uint64_t>(v->get_uint64(), std::numeric_limits<int64_t>::max()));
  }
  if (v->is_double()) {
    const double d = v->get_double();
    if (d >= -9.2e18 && d <= 9.2e18) return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

std::optional<std::string> StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<bool> BoolField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_bool()) return std::nullopt;
  return v->get_bool();
}

std::optional<double> NumberField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return std::nullopt;
}

const json::object* ObjectField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

const json::array* ArrayField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v ? v->if_array() : nullptr;
}

}  // namespace meridian::ctl
