#include "daemon/admin.h"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include "common/progress.h"
#include "common/wall_clock.h"
#include "conflict/conflict_record.h"
#include "daemon/dashboard/dashboard_page.h"
#include "daemon/lag_history.h"
#include "daemon/metrics.h"
#include "replication/peer_auth.h"
#include "replication/replicator.h"
#include "store/store.h"

namespace meridian::daemon {
namespace json = boost::json;

namespace {

json::object Envelope(const ServerIdentity& id) {
  return json::object{
      {"region", id.region}, {"server_id", id.server_id}, {"now", WallClockMillis()}};
}

// The dashboard of one region reads the others' status from the browser: GETs are open to
// every origin (they are read-only; POST /verify is not).
HttpResponse JsonResponse(int status, const json::object& body) {
  return HttpResponse{status, "application/json", json::serialize(body) + "\n",
                      "Access-Control-Allow-Origin: *\r\n"};
}

json::object VectorJson(const conflict::VersionVector& v) {
  json::object out;
  for (const auto& e : v.entries()) out[std::to_string(e.region)] = e.seq;
  return out;
}

// The query parameters of `target` (decoded), or InvalidArgument when they do not parse,
// repeat, or name one not in `allowed`.
Result<std::map<std::string, std::string>> QueryParams(
    std::string_view target, std::initializer_list<std::string_view> allowed) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return Status::InvalidArgument("the request target does not parse");
  std::map<std::string, std::string> out;
  for (const auto& p : url->params()) {
    if (std::find(allowed.begin(), allowed.end(), p.key) == allowed.end()) {
      return Status::InvalidArgument("unknown query parameter '" + p.key + "'");
    }
    if (!out.emplace(p.key, p.value).second) {
      return Status::InvalidArgument("query parameter '" + p.key + "' given twice");
    }
  }
  return out;
}

HttpResponse BadRequest(const AdminState& s, const std::string& message) {
  json::object body = Envelope(*s.id);
  body["error"] = message;
  return JsonResponse(400, body);
}

json::object ProgressJson(const ProgressSnapshot& p) {
  json::object o{{"kind", p.kind},
                 {"table", p.table},
                 {"detail", p.detail},
                 {"unit", p.unit},
                 {"done", p.done},
                 {"finished", p.finished},
                 {"started_ms", p.started_ms},
                 {"updated_ms", p.updated_ms},
                 {"rate_per_s", p.rate_per_s}};
  o["total"] = p.total == 0 ? json::value(nullptr) : json::value(p.total);
  o["eta_s"] = p.eta_s < 0 ? json::value(nullptr) : json::value(p.eta_s);
  return o;
}

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

HttpResponse Healthz(const AdminState& s) {
  json::object body = Envelope(*s.id);
  json::array errors;
  if (s.replicator && !s.replicator->transport_connected()) {
    errors.push_back(json::object{
        {"type", "nats_unreachable"},
        {"message", s.replicator->transport_error().empty() ? "not connected to NATS"
                                                            : s.replicator->transport_error()}});
  }
  body["status"] = errors.empty() ? "ok" : "error";
  if (!errors.empty()) body["errors"] = std::move(errors);
  body["last_seq"] = s.store->committed_seq();
  return JsonResponse(body.contains("errors") ? 503 : 200, body);
}

HttpResponse Varz(const AdminState& s) {
  json::object body = Envelope(*s.id);
  body["version"] = s.id->version;
  body["uptime_ms"] = WallClockMillis() - s.id->start_time_ms;
  body["region_id"] = s.id->region_id;
  body["cluster"] = s.id->cluster;
  body["replication"] = s.replicator != nullptr;
  body["head_seq"] = s.store->committed_seq();
  body["tables"] = s.store->ListTableNames().size();
  body["conflicts_total"] = s.store->conflicts_total();
  body["clock_skew_events"] = s.store->clock_skew_events();
  if (s.replicator) {
    auto c = s.replicator->counters();
    body["replication_counters"] =
        json::object{{"batches_published", c.batches_published},
                     {"changes_published", c.changes_published},
                     {"batches_received", c.batches_received},
                     {"changes_applied", c.changes_applied},
                     {"apply_runs", c.apply_runs},
                     {"changes_merged", c.changes_merged},
                     {"duplicates", c.duplicates},
                     {"rejected_messages", c.rejected_messages},
                     {"fetches", c.fetches},
                     {"fetch_failures", c.fetch_failures},
                     {"dropped_pending", c.dropped_pending},
                     {"snapshot_items_received", c.snapshot_items_received},
                     {"snapshot_chunks_served", c.snapshot_chunks_served},
                     {"backfills_completed", c.backfills_completed},
                     {"log_trims", c.log_trims},
                     {"rebootstraps", c.rebootstraps},
                     {"publish_failures", c.publish_failures},
                     {"store_errors", c.store_errors},
                     {"anti_entropy_comparisons", c.anti_entropy_comparisons},
                     {"anti_entropy_ranges_differing", c.anti_entropy_ranges_differing},
                     {"anti_entropy_items_repaired", c.anti_entropy_items_repaired}};
    json::object peers{{"enabled", s.peer_auth != nullptr}};
    if (s.peer_auth) {
      const auto a = s.peer_auth->counters();
      peers["configured_regions"] = s.peer_auth->configured_regions();
      peers["rejected"] = json::object{{"unsigned", a.unsigned_messages},
                                       {"unknown_region", a.unknown_region},
                                       {"bad_signature", a.bad_signature},
                                       {"identity_conflict", a.identity_conflict},
                                       {"impersonation", c.impersonations}};
    }
    body["peer_authentication"] = std::move(peers);
  }
  return JsonResponse(200, body);
}

HttpResponse Regionz(const AdminState& s) {
  json::object body = Envelope(*s.id);
  body["region_id"] = s.id->region_id;
  body["admin_url"] = s.id->admin_url;
  body["head_seq"] = s.store->committed_seq();
  body["applied"] = VectorJson(s.store->DurableAppliedVector());
  json::array peers;
  if (s.replicator) {
    for (const auto& p : s.replicator->Peers()) {
      peers.push_back(json::object{{"region", p.name},
                                   {"region_id", p.region},
                                   {"connected", p.connected},
                                   {"head_seq", p.head_seq},
                                   {"applied_seq", p.applied_seq},
                                   {"acked_seq", p.acked_seq},
                                   {"lag_ms", p.lag_ms},
                                   {"pending", p.pending},
                                   {"last_heartbeat_ms", p.last_heartbeat_ms},
                                   {"admin_url", p.admin_url}});
    }
    body["nats_connected"] = s.replicator->transport_connected();
  }
  body["peers"] = std::move(peers);
  return JsonResponse(200, body);
}

HttpResponse Tablez(const AdminState& s) {
  json::object body = Envelope(*s.id);
  const std::vector<ProgressSnapshot> work = s.store->progress().Snapshot();
  json::array tables;
  for (const auto& name : s.store->ListTableNames()) {
    auto table = s.store->GetTable(name);
    if (!table.ok()) continue;  // deleted meanwhile
    auto stats = s.store->GetTableStats((*table)->table_id);
    json::object t{{"name", name},
                   {"policy", conflict::PolicyName((*table)->conflict_policy)},
                   {"items", stats.item_count},
                   {"size_bytes", stats.size_bytes}};
    auto digest = s.store->Digest(**table);
    if (digest.ok()) {
      t["digest"] = Hex(digest->hash);
      t["live_items"] = digest->items;
      t["tombstones"] = digest->tombstones;
    }
    if (auto pitr = s.store->GetPitr((*table)->table_id)) {
      const auto now =
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
      t["pitr"] = json::object{{"enabled_ms", pitr->enabled_ms},
                               {"period_days", pitr->period_days},
                               {"earliest_restorable_ms", pitr->EarliestRestorable(now)},
                               {"history_bytes", s.store->HistoryBytes((*table)->table_id)}};
    }
    json::array running;
    for (const auto& w : work) {
      if (w.table == name && !w.finished) running.push_back(ProgressJson(w));
    }
    t["work"] = std::move(running);
    tables.push_back(std::move(t));
  }
  body["tables"] = std::move(tables);
  json::array all;
  for (const auto& w : work) all.push_back(ProgressJson(w));
  body["work"] = std::move(all);  // running, then recently finished
  return JsonResponse(200, body);
}

HttpResponse Conflictz(const AdminState& s) {
  json::object body = Envelope(*s.id);
  body["total"] = s.store->conflicts_total();
  json::array recent;
  for (const auto& c : s.store->RecentConflicts()) {
    recent.push_back(json::object{{"table", c.table},
                                  {"policy", conflict::PolicyName(c.policy)},
                                  {"rule", conflict::ConflictRuleName(c.rule)},
                                  {"winner", conflict::ConflictWinnerName(c.winner)},
                                  {"summary", c.ToString()}});
  }
  body["recent"] = std::move(recent);
  return JsonResponse(200, body);
}

HttpResponse Lagz(const AdminState& s) {
  json::object body = Envelope(*s.id);
  body["period_ms"] = LagHistory::kPeriodMs;
  json::object peers;
  if (s.lag_history) {
    for (const auto& sample : s.lag_history->Samples()) {
      json::value& list = peers[sample.peer];
      if (!list.is_array()) list = json::array();
      list.as_array().push_back(json::array{sample.time_ms, sample.lag_ms, sample.connected});
    }
  }
  body["peers"] = std::move(peers);
  return JsonResponse(200, body);
}

// POST /verify[?table=T][&force=1][&adopt=1]: anti-entropy now against every live peer
// replica; repairs this region. Answers what each comparison found.
HttpResponse Verify(const AdminState& s, std::string_view target) {
  json::object body = Envelope(*s.id);
  if (!s.replicator) {
    body["error"] = "replication is not configured";
    return JsonResponse(409, body);
  }
  auto params = QueryParams(target, {"table", "force", "adopt"});
  if (!params.ok()) return BadRequest(s, params.status().message());
  std::string table = params->contains("table") ? params->at("table") : std::string();
  bool force = false, adopt = false;
  for (auto [name, flag] : {std::pair("force", &force), std::pair("adopt", &adopt)}) {
    auto it = params->find(name);
    if (it == params->end()) continue;
    if (it->second == "1" || it->second == "true") {
      *flag = true;
    } else if (it->second != "0" && it->second != "false") {
      return BadRequest(s, std::string(name) + " must be 1, true, 0 or false");
    }
  }
  json::array results;
  uint64_t repaired = 0;
  for (const auto& r : s.replicator->Verify(table, force, adopt)) {
    repaired += r.items_repaired;
    results.push_back(json::object{{"table", r.table},
                                   {"peer", r.peer},
                                   {"outcome", r.outcome},
                                   {"ranges_differing", r.ranges_differing},
                                   {"items_repaired", r.items_repaired}});
  }
  body["results"] = std::move(results);
  body["items_repaired"] = repaired;
  return JsonResponse(200, body);
}

HttpHandler MakeAdminHandler(const AdminState* state) {
  return SyncHandler([state](const HttpRequest& req) -> HttpResponse {
    const std::string_view path = req.target.substr(0, req.target.find('?'));
    if (path == kVerifyPath && req.method == "POST") {
      HttpResponse r = Verify(*state, req.target);
      r.headers.clear();  // not open to other origins
      return r;
    }
    if (req.method != "GET" && req.method != "HEAD") {
      json::object body = Envelope(*state->id);
      body["error"] = "method not allowed";
      return JsonResponse(405, body);
    }
    // The GET endpoints take no parameters.
    if (auto params = QueryParams(req.target, {}); !params.ok()) {
      return BadRequest(*state, params.status().message());
    }
    if (path == kHealthzPath) return Healthz(*state);
    if (path == kVarzPath) return Varz(*state);
    if (path == kRegionzPath) return Regionz(*state);
    if (path == kTablezPath) return Tablez(*state);
    if (path == kConflictzPath) return Conflictz(*state);
    if (path == kLagzPath) return Lagz(*state);
    if (path == "/" || path == kDashboardPath) {
      return HttpResponse{200, "text/html; charset=utf-8", std::string(DashboardHtml()), {}};
    }
    if (path == kMetricsPath && state->metrics) {
      return HttpResponse{
          200, "text/plain; version=0.0.4; charset=utf-8", state->metrics->Scrape(*state), {}};
    }
    json::object body = Envelope(*state->id);
    body["error"] = "not found";
    body["paths"] = json::array{kHealthzPath,   kVarzPath, kRegionzPath, kTablezPath,
                                kConflictzPath, kLagzPath, kMetricsPath, kDashboardPath};
    return JsonResponse(404, body);
  });
}

}  // namespace meridian::daemon
