#include "tools/meridianctl/commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <boost/url/url.hpp>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "tools/meridianctl/admin_client.h"
#include "tools/meridianctl/text_table.h"

namespace meridian::ctl {
namespace json = boost::json;

namespace {

void Warn(const std::string& message) { fmt::print(stderr, "meridianctl: {}\n", message); }

void PrintJson(const json::object& doc) {
  std::string out = json::serialize(doc);
  out += '\n';
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

void PrintText(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

json::value OrNull(const std::optional<int64_t>& v) { return v ? json::value(*v) : json::value(); }
json::value OrNull(const std::optional<std::string>& v) {
  return v ? json::value(*v) : json::value();
}
json::value OrNull(const std::optional<bool>& v) { return v ? json::value(*v) : json::value(); }
json::value NameOrNull(const Region& r) {
  return r.name.empty() ? json::value() : json::value(r.name);
}

std::string Text(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }
std::string Text(const std::optional<std::string>& v) { return v && !v->empty() ? *v : "-"; }
std::string YesNo(const std::optional<bool>& v) { return v ? (*v ? "yes" : "no") : "-"; }

json::array StringArray(const std::vector<std::string>& v) {
  json::array out;
  for (const auto& s : v) out.emplace_back(s);
  return out;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// "1:12 2:0 3:7" for an applied vector.
std::string VectorText(const json::object* v) {
  if (!v || v->empty()) return "-";
  std::vector<std::string> parts;
  for (const auto& [k, _] : *v)
    parts.push_back(fmt::format("{}:{}", std::string(k), Text(IntField(*v, k))));
  return Join(parts, " ");
}

// Discovers the cluster and reports on stderr what could not be reached or found. Returns
// false (after saying why) when no region answered at all.
bool DiscoverOrFail(const AdminClient& client, ClusterView* view) {
  *view = client.Discover();
  for (const auto& r : view->regions) {
    if (!r.ok()) Warn(r.error);
  }
  if (!view->undiscovered.empty()) {
    Warn(
        fmt::format("no admin URL known for {} (not given with --admin, not in any /regionz); pass "
                    "--admin for it",
                    Join(view->undiscovered, ", ")));
  }
  if (AdminClient::Reachable(*view).empty()) {
    Warn("error: no admin API gave a usable /regionz answer");
    return false;
  }
  return true;
}

json::object RegionHead(const Region& r) {
  return json::object{{"region", NameOrNull(r)},
                      {"admin_url", r.admin_url},
                      {"reachable", r.ok()},
                      {"error", r.ok() ? json::value() : json::value(r.error)}};
}

// One peer of a /regionz answer, with what follows from it: `behind` (changes of the peer not
// applied here) and `heartbeat_age_ms`.
struct PeerLink {
  std::string peer;
  std::optional<bool> connected;
  std::optional<int64_t> lag_ms, pending, behind, heartbeat_age_ms;
  json::object raw;
};

std::vector<PeerLink> PeerLinks(const Region& r) {
  std::vector<PeerLink> out;
  const json::array* peers = ArrayField(r.regionz, "peers");
  if (!peers) return out;
  const auto now = IntField(r.regionz, "now");
  for (const auto& v : *peers) {
    if (!v.is_object()) continue;
    const json::object& p = v.get_object();
    PeerLink l;
    l.raw = p;
    l.peer = StringField(p, "region").value_or("?");
    l.connected = BoolField(p, "connected");
    l.lag_ms = IntField(p, "lag_ms");
    l.pending = IntField(p, "pending");
    const auto head = IntField(p, "head_seq"), applied = IntField(p, "applied_seq");
    if (head && applied) l.behind = std::max<int64_t>(0, *head - *applied);
    const auto heartbeat = IntField(p, "last_heartbeat_ms");
    if (now && heartbeat && *heartbeat > 0)
      l.heartbeat_age_ms = std::max<int64_t>(0, *now - *heartbeat);
    out.push_back(std::move(l));
  }
  return out;
}

std::string AgeText(const std::optional<int64_t>& ms) {
  if (!ms) return "-";
  return fmt::format("{:.1f}s ago", static_cast<double>(*ms) / 1000.0);
}

// "12s", "3m05s", "2h07m"; "-" when unknown.
std::string DurationText(const std::optional<double>& seconds) {
  if (!seconds || *seconds < 0) return "-";
  const int64_t s = std::llround(*seconds);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}h{:02d}m", s / 3600, s % 3600 / 60);
}

// One task of a /tablez "work" list (common/progress.h), as text.
struct TaskText {
  std::string kind, table, detail, progress, percent, rate, eta;
  bool finished = false;
};

TaskText DescribeTask(const json::object& w) {
  TaskText t;
  t.kind = StringField(w, "kind").value_or("?");
  t.table = Text(StringField(w, "table"));
  t.detail = Text(StringField(w, "detail"));
  t.finished = BoolField(w, "finished").value_or(false);
  const auto done = IntField(w, "done"), total = IntField(w, "total");
  t.progress =
      fmt::format("{}/{} {}", Text(done), Text(total), StringField(w, "unit").value_or(""));
  if (t.progress.back() == ' ') t.progress.pop_back();
  t.percent = done && total && *total > 0 ? fmt::format("{}%", *done * 100 / *total) : "-";
  const auto rate = NumberField(w, "rate_per_s");
  t.rate = rate ? fmt::format("{:.1f}/s", *rate) : "-";
  t.eta = t.finished ? "-" : DurationText(NumberField(w, "eta_s"));
  return t;
}

// "index backfill 1200/5000 items 24% ETA 8s" for each running task; "-" when none.
std::string WorkSummary(const json::array* work) {
  std::vector<std::string> parts;
  for (const auto& v : work ? *work : json::array()) {
    if (!v.is_object()) continue;
    const TaskText t = DescribeTask(v.get_object());
    if (t.finished) continue;
    std::string part = t.kind + " " + t.progress;
    if (t.percent != "-") part += " " + t.percent;
    parts.push_back(part + " ETA " + t.eta);
  }
  return parts.empty() ? "-" : Join(parts, "; ");
}

}  // namespace

// --- status -------------------------------------------------------------------------------

int RunStatus(const Options& options) {
  AdminClient client(options.admin_urls, options.timeout);
  ClusterView view;
  if (!DiscoverOrFail(client, &view)) return kExitUnreachable;
  auto reachable = AdminClient::Reachable(view);
  auto health = client.CallAll(reachable, "GET", "/healthz");

  json::array regions;
  TextTable region_table({"REGION", "ID", "HEALTH", "LAST_SEQ", "NATS", "APPLIED", "ADMIN"});
  TextTable peer_table(
      {"REGION", "PEER", "CONNECTED", "LAG_MS", "PENDING", "BEHIND", "HEARTBEAT", "PEER_ADMIN"});
  bool healthy = view.undiscovered.empty();
  size_t next = 0;
  for (const auto& r : view.regions) {
    json::object doc = RegionHead(r);
    if (!r.ok()) {
      healthy = false;
      regions.push_back(std::move(doc));
      region_table.AddRow({r.label(), "-", "unreachable", "-", "-", "-", r.admin_url});
      continue;
    }
    const AdminAnswer& h = health[next++];
    std::optional<std::string> status;
    std::optional<int64_t> last_seq;
    json::array health_errors;
    if (h.ok()) {
      status = StringField(h.body, "status");
      last_seq = IntField(h.body, "last_seq");
      if (const json::array* e = ArrayField(h.body, "errors")) health_errors = *e;
    } else {
      Warn(h.error);
      status = "unreachable";
    }
    if (status != "ok") healthy = false;
    const auto nats = BoolField(r.regionz, "nats_connected");
    const json::object* applied = ObjectField(r.regionz, "applied");
    doc["region_id"] = r.region_id;
    doc["health"] = OrNull(status);
    doc["health_errors"] = std::move(health_errors);
    doc["last_seq"] = OrNull(last_seq);
    doc["head_seq"] = OrNull(IntField(r.regionz, "head_seq"));
    doc["nats_connected"] = OrNull(nats);
    doc["applied"] = applied ? *applied : json::object();
    json::array peers;
    for (auto& l : PeerLinks(r)) {
      if (l.connected != true) healthy = false;
      const auto peer_admin = StringField(l.raw, "admin_url");
      peer_table.AddRow({r.label(), l.peer, YesNo(l.connected), Text(l.lag_ms), Text(l.pending),
                         Text(l.behind), AgeText(l.heartbeat_age_ms), Text(peer_admin)});
      json::object p = std::move(l.raw);
      p["behind"] = OrNull(l.behind);
      p["heartbeat_age_ms"] = OrNull(l.heartbeat_age_ms);
      peers.push_back(std::move(p));
    }
    doc["peers"] = std::move(peers);
    regions.push_back(std::move(doc));
    region_table.AddRow({r.label(), std::to_string(r.region_id), Text(status), Text(last_seq),
                         nats ? (*nats ? "up" : "down") : "-", VectorText(applied), r.admin_url});
  }
  if (options.json) {
    PrintJson(json::object{{"regions", std::move(regions)},
                           {"undiscovered", StringArray(view.undiscovered)},
                           {"healthy", healthy}});
  } else {
    std::string out = region_table.Render();
    if (!peer_table.empty()) out += "\n" + peer_table.Render();
    PrintText(out);
  }
  return view.all_reachable() ? kExitOk : kExitUnreachable;
}

// --- tables -------------------------------------------------------------------------------

int RunTables(const Options& options, const std::string& table) {
  AdminClient client(options.admin_urls, options.timeout);
  ClusterView view;
  if (!DiscoverOrFail(client, &view)) return kExitUnreachable;
  auto reachable = AdminClient::Reachable(view);
  auto answers = client.CallAll(reachable, "GET", "/tablez");

  // Which regions hold each table, and its digests there.
  std::map<std::string, std::vector<std::string>> holders;
  std::map<std::string, std::set<std::string>> digests;
  for (size_t i = 0; i < reachable.size(); ++i) {
    const json::array* tables = answers[i].ok() ? ArrayField(answers[i].body, "tables") : nullptr;
    for (const auto& v : tables ? *tables : json::array()) {
      if (!v.is_object()) continue;
      auto name = StringField(v.get_object(), "name");
      if (!name) continue;
      holders[*name].push_back(reachable[i]->label());
      digests[*name].insert(StringField(v.get_object(), "digest").value_or(""));
    }
  }

  json::array regions;
  TextTable text(
      {"REGION", "TABLE", "STATUS", "ITEMS", "POLICY", "REPLICAS", "DIGEST", "IN_SYNC", "WORK"});
  bool all_ok = view.all_reachable();
  size_t next = 0;
  for (const auto& r : view.regions) {
    json::object doc = RegionHead(r);
    if (!r.ok()) {
      regions.push_back(std::move(doc));
      text.AddRow({r.label(), "-", "unreachable"});
      continue;
    }
    const AdminAnswer& a = answers[next++];
    const json::array* tables = a.ok() ? ArrayField(a.body, "tables") : nullptr;
    if (!tables) {
      std::string why = a.ok() ? r.admin_url + "/tablez: no \"tables\" list" : a.error;
      Warn(why);
      all_ok = false;
      doc["reachable"] = a.ok();
      doc["error"] = why;
      regions.push_back(std::move(doc));
      text.AddRow({r.label(), "-", "error"});
      continue;
    }
    json::array out_tables;
    for (const auto& v : *tables) {
      if (!v.is_object()) continue;
      const json::object& t = v.get_object();
      auto name = StringField(t, "name");
      if (!name || (!table.empty() && *name != table)) continue;
      json::object o = t;
      // /tablez has no replica list or status (yet): the replicas are the regions that list
      // the table.
      std::vector<std::string> replicas = holders[*name];
      if (const json::array* listed = ArrayField(t, "replicas")) {
        replicas.clear();
        for (const auto& x : *listed) {
          if (x.is_string()) replicas.emplace_back(x.get_string());
          if (x.is_object())
            replicas.push_back(StringField(x.get_object(), "region").value_or("?"));
        }
      }
      const bool in_sync = digests[*name].size() == 1 && !digests[*name].begin()->empty();
      o["status"] = OrNull(StringField(t, "status"));
      o["replicas"] = StringArray(replicas);
      o["in_sync"] = in_sync;
      const json::array* work = ArrayField(t, "work");
      o["work"] = work ? *work : json::array();  // its running tasks
      text.AddRow({r.label(), *name, Text(StringField(t, "status")), Text(IntField(t, "items")),
                   Text(StringField(t, "policy")), Join(replicas, ","),
                   Text(StringField(t, "digest")), in_sync ? "yes" : "no", WorkSummary(work)});
      out_tables.push_back(std::move(o));
    }
    doc["tables"] = std::move(out_tables);
    regions.push_back(std::move(doc));
  }
  if (options.json) {
    PrintJson(json::object{{"regions", std::move(regions)},
                           {"undiscovered", StringArray(view.undiscovered)}});
  } else {
    PrintText(text.Render());
  }
  return all_ok ? kExitOk : kExitUnreachable;
}

// --- verify -------------------------------------------------------------------------------

int RunVerify(const Options& options, const VerifyOptions& verify) {
  AdminClient client(options.admin_urls, options.timeout);
  ClusterView view;
  if (!DiscoverOrFail(client, &view)) return kExitUnreachable;
  auto reachable = AdminClient::Reachable(view);
  const Region* target = nullptr;
  if (!verify.region.empty()) {
    for (const Region* r : reachable) {
      if (r->name == verify.region) target = r;
    }
    if (!target) {
      std::vector<std::string> names;
      names.reserve(reachable.size());
      for (const Region* r : reachable) names.push_back(r->label());
      Warn(fmt::format("error: region '{}' not found (regions: {})", verify.region,
                       Join(names, ", ")));
      return kExitUnreachable;
    }
  } else {
    // The first --admin URL that answered.
    for (const auto& url : options.admin_urls) {
      for (const Region* r : reachable) {
        if (!target && r->admin_url == NormalizeUrl(url)) target = r;
      }
    }
    if (!target) target = reachable.front();
  }
  boost::urls::url path("/verify");
  if (!verify.table.empty()) path.params().append({"table", verify.table});
  if (verify.force) path.params().append({"force", "1"});
  if (verify.adopt) path.params().append({"adopt", "1"});
  auto answer =
      client.CallAll({target}, "POST", std::string(path.encoded_target()), verify.timeout).front();
  if (answer.ok() && answer.status != 200) {
    answer.error = fmt::format("{}/verify: HTTP {}: {}", target->admin_url, answer.status,
                               StringField(answer.body, "error").value_or("(no message)"));
  }
  if (!answer.ok()) {
    Warn("error: " + answer.error);
    return kExitUnreachable;
  }
  const json::array* results = ArrayField(answer.body, "results");
  json::array out_results = results ? *results : json::array();

  // The whole-table digests of every region, after the repairs.
  auto tablez = client.CallAll(reachable, "GET", "/tablez");
  std::set<std::string> tables;
  if (!verify.table.empty()) tables.insert(verify.table);
  bool outcomes_agree = !out_results.empty();
  for (const auto& v : out_results) {
    if (!v.is_object()) {
      outcomes_agree = false;
      continue;
    }
    if (auto t = StringField(v.get_object(), "table")) tables.insert(*t);
    const auto outcome = StringField(v.get_object(), "outcome").value_or("");
    if (outcome != "equal" && outcome != "repaired") outcomes_agree = false;
  }
  json::array digest_docs;
  bool digests_agree = true;
  TextTable digest_text({"TABLE", "REGION", "DIGEST"});
  for (const auto& t : tables) {
    json::object by_region;
    std::set<std::string> distinct;
    for (size_t i = 0; i < reachable.size(); ++i) {
      std::optional<std::string> digest;
      const json::array* list = tablez[i].ok() ? ArrayField(tablez[i].body, "tables") : nullptr;
      for (const auto& x : list ? *list : json::array()) {
        if (x.is_object() && StringField(x.get_object(), "name") == t) {
          digest = StringField(x.get_object(), "digest");
        }
      }
      if (!tablez[i].ok()) Warn(tablez[i].error);
      if (!list) continue;    // no answer: nothing to compare
      if (!digest) continue;  // no replica there
      by_region[reachable[i]->label()] = *digest;
      distinct.insert(*digest);
      digest_text.AddRow({t, reachable[i]->label(), *digest});
    }
    const bool equal = distinct.size() == 1;
    digests_agree = digests_agree && equal;
    digest_docs.push_back(
        json::object{{"table", t}, {"by_region", std::move(by_region)}, {"equal", equal}});
  }
  const bool agreed = outcomes_agree && digests_agree && !tables.empty();
  const auto repaired = IntField(answer.body, "items_repaired");
  if (options.json) {
    PrintJson(
        json::object{{"region", NameOrNull(*target)},
                     {"admin_url", target->admin_url},
                     {"table", verify.table.empty() ? json::value() : json::value(verify.table)},
                     {"results", std::move(out_results)},
                     {"items_repaired", OrNull(repaired)},
                     {"digests", std::move(digest_docs)},
                     {"agreed", agreed},
                     {"undiscovered", StringArray(view.undiscovered)}});
    return kExitOk;
  }
  TextTable result_text({"TABLE", "REGION", "PEER", "OUTCOME", "RANGES_DIFFERING", "REPAIRED"});
  for (const auto& v : out_results) {
    if (!v.is_object()) continue;
    const json::object& o = v.get_object();
    result_text.AddRow({Text(StringField(o, "table")), target->label(),
                        Text(StringField(o, "peer")), Text(StringField(o, "outcome")),
                        Text(IntField(o, "ranges_differing")),
                        Text(IntField(o, "items_repaired"))});
  }
  std::string out = fmt::format("verify on {} ({})\n\n", target->label(), target->admin_url);
  out += result_text.empty() ? "no comparisons (no such table, or no live peer replica)\n"
                             : result_text.Render();
  if (!digest_text.empty()) out += "\n" + digest_text.Render();
  out += fmt::format("\nitems repaired: {}; {}\n", Text(repaired),
                     agreed ? "all regions agree" : "regions DO NOT agree");
  PrintText(out);
  return kExitOk;
}

// --- conflicts ----------------------------------------------------------------------------

int RunConflicts(const Options& options, const std::string& table) {
  AdminClient client(options.admin_urls, options.timeout);
  ClusterView view;
  if (!DiscoverOrFail(client, &view)) return kExitUnreachable;
  auto reachable = AdminClient::Reachable(view);
  auto answers = client.CallAll(reachable, "GET", "/conflictz");

  json::array regions;
  TextTable text({"REGION", "TABLE", "POLICY", "RULE", "WINNER", "SUMMARY"});
  std::string totals;
  bool all_ok = view.all_reachable();
  bool filtered = true;  // every conflict said which table it is on
  size_t next = 0;
  for (const auto& r : view.regions) {
    json::object doc = RegionHead(r);
    if (!r.ok()) {
      totals += fmt::format("{}{}: unreachable", totals.empty() ? "" : "; ", r.label());
      regions.push_back(std::move(doc));
      continue;
    }
    const AdminAnswer& a = answers[next++];
    const json::array* recent = a.ok() ? ArrayField(a.body, "recent") : nullptr;
    if (!recent) {
      std::string why = a.ok() ? r.admin_url + "/conflictz: no \"recent\" list" : a.error;
      Warn(why);
      all_ok = false;
      totals += fmt::format("{}{}: error", totals.empty() ? "" : "; ", r.label());
      doc["reachable"] = a.ok();
      doc["error"] = why;
      regions.push_back(std::move(doc));
      continue;
    }
    json::array out;
    for (const auto& v : *recent) {
      if (!v.is_object()) continue;
      const json::object& c = v.get_object();
      const auto t = StringField(c, "table");
      if (!table.empty()) {
        if (!t)
          filtered = false;
        else if (*t != table)
          continue;
      }
      text.AddRow({r.label(), Text(t), Text(StringField(c, "policy")), Text(StringField(c, "rule")),
                   Text(StringField(c, "winner")), Text(StringField(c, "summary"))});
      out.push_back(c);
    }
    const auto total = IntField(a.body, "total");
    totals += fmt::format("{}{}: {} total", totals.empty() ? "" : "; ", r.label(), Text(total));
    doc["total"] = OrNull(total);
    doc["recent"] = std::move(out);
    regions.push_back(std::move(doc));
  }
  if (!table.empty() && !filtered) {
    Warn(
        "warning: /conflictz does not say which table a conflict is on; showing every "
        "table's conflicts");
  }
  if (options.json) {
    PrintJson(json::object{{"table", table.empty() ? json::value() : json::value(table)},
                           {"filtered", !table.empty() && filtered},
                           {"regions", std::move(regions)},
                           {"undiscovered", StringArray(view.undiscovered)}});
  } else {
    PrintText((text.empty() ? std::string("no recent conflicts\n") : text.Render()) + "\n" +
              "conflicts: " + totals + "\n");
  }
  return all_ok ? kExitOk : kExitUnreachable;
}

// --- lag ----------------------------------------------------------------------------------

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void OnInterrupt(int /*signal*/) { g_interrupted = 1; }

// "2026-12-03T18:30:00.123Z"
std::string UtcNow(int64_t* ms_out) {
  const auto now = std::chrono::system_clock::now();
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  *ms_out = ms;
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>(ms % 1000));
}

// "meridianctl lag  <time>  every 1.0s  (Ctrl-C quits)" after clearing the screen.
std::string FollowHeader(std::string_view what, const std::string& now, const LagOptions& lag) {
  return fmt::format("\x1b[H\x1b[2Jmeridianctl {}  {}  every {:.1f}s  (Ctrl-C quits)\n\n", what,
                     now, static_cast<double>(lag.interval.count()) / 1000.0);
}

// One refresh: prints it; false if a region could not be reached.
bool LagRefresh(const ClusterView& view, const Options& options, const LagOptions& lag, int refresh,
                bool tty) {
  int64_t now_ms = 0;
  const std::string now = UtcNow(&now_ms);
  json::array links, unreachable;
  TextTable text({"REGION", "PEER", "CONNECTED", "LAG_MS", "PENDING", "BEHIND", "HEARTBEAT"});
  std::string lines;
  for (const auto& r : view.regions) {
    if (!r.ok()) {
      unreachable.push_back(
          json::object{{"region", NameOrNull(r)}, {"admin_url", r.admin_url}, {"error", r.error}});
      text.AddRow({r.label(), "-", "unreachable"});
      lines += fmt::format("{} {} unreachable: {}\n", now, r.label(), r.error);
      continue;
    }
    for (const auto& l : PeerLinks(r)) {
      links.push_back(json::object{{"region", r.label()},
                                   {"peer", l.peer},
                                   {"connected", OrNull(l.connected)},
                                   {"lag_ms", OrNull(l.lag_ms)},
                                   {"pending", OrNull(l.pending)},
                                   {"behind", OrNull(l.behind)},
                                   {"heartbeat_age_ms", OrNull(l.heartbeat_age_ms)}});
      text.AddRow({r.label(), l.peer, YesNo(l.connected), Text(l.lag_ms), Text(l.pending),
                   Text(l.behind), AgeText(l.heartbeat_age_ms)});
      lines +=
          fmt::format("{} {} -> {} connected={} lag_ms={} pending={} behind={}\n", now, r.label(),
                      l.peer, YesNo(l.connected), Text(l.lag_ms), Text(l.pending), Text(l.behind));
    }
  }
  if (options.json) {
    PrintJson(json::object{{"time", now},
                           {"time_ms", now_ms},
                           {"refresh", refresh},
                           {"links", std::move(links)},
                           {"unreachable", std::move(unreachable)},
                           {"undiscovered", StringArray(view.undiscovered)}});
  } else if (lag.follow && !tty) {
    PrintText(lines);
  } else {
    std::string out;
    if (lag.follow) out = FollowHeader("lag", now, lag);
    out += text.Render();
    if (!view.undiscovered.empty()) {
      out += "\nno admin URL known for: " + Join(view.undiscovered, ", ") + "\n";
    }
    PrintText(out);
  }
  return view.all_reachable();
}

}  // namespace

namespace {

// One refresh of `lag` or `work` (with --follow, the view is discovered again before each):
// prints it; false if a region could not be reached.
using RefreshFn = std::function<bool(const ClusterView& view, int refresh, bool tty)>;

int RunRefreshes(const AdminClient& client, ClusterView view, const LagOptions& lag,
                 const RefreshFn& refresh_fn) {
  if (!lag.follow) return refresh_fn(view, 1, false) ? kExitOk : kExitUnreachable;

  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  const bool tty = isatty(STDOUT_FILENO) == 1;
  bool last_ok = true;
  for (int refresh = 1;; ++refresh) {
    if (refresh > 1) view = client.Discover();
    last_ok = refresh_fn(view, refresh, tty);
    if (lag.count != 0 && refresh >= lag.count) break;
    const auto until = std::chrono::steady_clock::now() + lag.interval;
    while (!g_interrupted && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (g_interrupted) break;
  }
  return last_ok ? kExitOk : kExitUnreachable;
}

}  // namespace

int RunLag(const Options& options, const LagOptions& lag) {
  AdminClient client(options.admin_urls, options.timeout);
  ClusterView view;
  if (!DiscoverOrFail(client, &view)) return kExitUnreachable;
  return RunRefreshes(client, std::move(view), lag,
                      [&](const ClusterView& v, int refresh, bool tty) {
                        return LagRefresh(v, options, lag, refresh, tty);
                      });
}

// --- work ---------------------------------------------------------------------------------

namespace {

bool WorkRefresh(const AdminClient& client, const ClusterView& view, const Options& options,
                 const WorkOptions& work, int refresh, bool tty) {
  const LagOptions& lag = work.refresh;
  auto reachable = AdminClient::Reachable(view);
  auto answers = client.CallAll(reachable, "GET", "/tablez");
  int64_t now_ms = 0;
  const std::string now = UtcNow(&now_ms);

  json::array regions;
  TextTable text(
      {"REGION", "KIND", "TABLE", "DETAIL", "PROGRESS", "PERCENT", "RATE", "ETA", "STATE"});
  std::string lines;
  bool all_ok = view.all_reachable();
  size_t next = 0;
  for (const auto& r : view.regions) {
    json::object doc = RegionHead(r);
    if (!r.ok()) {
      regions.push_back(std::move(doc));
      text.AddRow({r.label(), "-", "-", "-", "-", "-", "-", "-", "unreachable"});
      lines += fmt::format("{} {} unreachable: {}\n", now, r.label(), r.error);
      continue;
    }
    const AdminAnswer& a = answers[next++];
    const json::array* tasks = a.ok() ? ArrayField(a.body, "work") : nullptr;
    if (!tasks) {
      std::string why = a.ok() ? r.admin_url + "/tablez: no \"work\" list" : a.error;
      Warn(why);
      all_ok = false;
      doc["reachable"] = a.ok();
      doc["error"] = why;
      regions.push_back(std::move(doc));
      text.AddRow({r.label(), "-", "-", "-", "-", "-", "-", "-", "error"});
      lines += fmt::format("{} {} error: {}\n", now, r.label(), why);
      continue;
    }
    json::array out;
    for (const auto& v : *tasks) {
      if (!v.is_object()) continue;
      const TaskText t = DescribeTask(v.get_object());
      if (t.finished && !work.all) continue;
      const char* state = t.finished ? "done" : "running";
      text.AddRow(
          {r.label(), t.kind, t.table, t.detail, t.progress, t.percent, t.rate, t.eta, state});
      lines += fmt::format("{} {} {} table={} {} {} {} rate={} eta={} {}\n", now, r.label(), t.kind,
                           t.table, t.detail, t.progress, t.percent, t.rate, t.eta, state);
      out.push_back(v);
    }
    doc["work"] = std::move(out);
    regions.push_back(std::move(doc));
  }
  const char* none = work.all ? "no work" : "no running work";
  if (options.json) {
    json::object doc{{"regions", std::move(regions)},
                     {"undiscovered", StringArray(view.undiscovered)}};
    if (lag.follow) {
      doc["time"] = now;
      doc["time_ms"] = now_ms;
      doc["refresh"] = refresh;
    }
    PrintJson(doc);
  } else if (lag.follow && !tty) {
    PrintText(lines.empty() ? fmt::format("{} {}\n", now, none) : lines);
  } else {
    std::string out = lag.follow ? FollowHeader("work", now, lag) : std::string();
    out += text.empty() ? std::string(none) + "\n" : text.Render();
    if (!view.undiscovered.empty()) {
      out += "\nno admin URL known for: " + Join(view.undiscovered, ", ") + "\n";
    }
    PrintText(out);
  }
  return all_ok;
}

}  // namespace

int RunWork(const Options& options, const WorkOptions& work) {
  AdminClient client(options.admin_urls, options.timeout);
  ClusterView view;
  if (!DiscoverOrFail(client, &view)) return kExitUnreachable;
  return RunRefreshes(client, std::move(view), work.refresh,
                      [&](const ClusterView& v, int refresh, bool tty) {
                        return WorkRefresh(client, v, options, work, refresh, tty);
                      });
}

}  // namespace meridian::ctl
