// The regions of a cluster as seen through their admin APIs (daemon/admin.h): discovery from
// /regionz, concurrent GETs and POSTs, and field readers that tolerate any JSON.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meridian::ctl {

// One region's admin API, as found by the last Discover().
struct Region {
  std::string admin_url;   // normalized: scheme, no trailing '/'
  std::string name;        // its /regionz "region" ("" when it did not answer)
  int64_t region_id = 0;   // 0: unknown
  bool from_peer = false;  // found in another region's /regionz (not given on the command line)
  std::string error;       // "" when /regionz answered 200 with a JSON object
  boost::json::object regionz;
  bool ok() const { return error.empty(); }
  // "us-east-1", or the URL while the name is unknown.
  const std::string& label() const { return name.empty() ? admin_url : name; }
};

struct ClusterView {
  std::vector<Region> regions;            // reachable ones by region id, then the others
  std::vector<std::string> undiscovered;  // peer regions whose admin URL nobody knows
  bool all_reachable() const;
};

// An admin API answer: `body` is the JSON object it sent (empty on error).
struct AdminAnswer {
  int status = 0;
  boost::json::object body;
  std::string error;  // no answer, or not a JSON object
  bool ok() const { return error.empty(); }
};

class AdminClient {
 public:
  AdminClient(const std::vector<std::string>& admin_urls, std::chrono::milliseconds timeout);

  // GET /regionz of every --admin URL, then of every peer admin URL those list (repeated until
  // nothing new turns up). Regions are told apart by name: the first URL that answers wins.
  ClusterView Discover() const;

  // `method` `path` on each region's admin URL, all at once; answers in the order of `regions`.
  std::vector<AdminAnswer> CallAll(const std::vector<const Region*>& regions,
                                   std::string_view method, std::string_view path,
                                   std::optional<std::chrono::milliseconds> timeout = {}) const;

  // The regions of `view` that answered /regionz.
  static std::vector<const Region*> Reachable(const ClusterView& view);

 private:
  std::vector<std::string> seeds_;
  std::chrono::milliseconds timeout_;
};

// "127.0.0.1:8001/" -> "http://127.0.0.1:8001".
std::string NormalizeUrl(std::string_view url);

// Readers of one field: nullopt (or null) when it is missing or of another type.
std::optional<int64_t> IntField(const boost::json::object& o, std::string_view key);
std::optional<std::string> StringField(const boost::json::object& o, std::string_view key);
std::optional<bool> BoolField(const boost::json::object& o, std::string_view key);
std::optional<double> NumberField(const boost::json::object& o, std::string_view key);
const boost::json::object* ObjectField(const boost::json::object& o, std::string_view key);
const boost::json::array* ArrayField(const boost::json::object& o, std::string_view key);

}  // namespace meridian::ctl
