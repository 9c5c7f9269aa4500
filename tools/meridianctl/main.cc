// meridianctl: the operator CLI of a Meridian cluster. Given one region's admin API, it finds
// the other regions from /regionz (each peer's advertised admin URL; more --admin flags for
// regions that advertise none) and shows health, replication lag, tables, anti-entropy and
// conflicts of every region, and how far its long-running work (backfills, repairs) has got.
//
//   meridianctl [--admin URL]... [--timeout SEC] status|tables|verify|conflicts|lag|work
//               [--json] ...
//
// Exit status: 0 done; 1 an admin API could not be reached (or refused); 2 usage error.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <sstream>

#include "tools/meridianctl/commands.h"

namespace {

constexpr const char* kDefaultAdmin = "http://127.0.0.1:8001";

// $MERIDIAN_ADMIN: one URL, or several separated by commas or blanks.
std::vector<std::string> AdminFromEnv() {
  std::vector<std::string> out;
  const char* env = std::getenv("MERIDIAN_ADMIN");
  std::string value = env ? env : "";
  for (char& c : value) {
    if (c == ',') c = ' ';
  }
  std::istringstream in(value);
  for (std::string url; in >> url;) out.push_back(url);
  return out;
}

std::chrono::milliseconds Millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0));
}

}  // namespace

int main(int argc, char** argv) {
  namespace ctl = meridian::ctl;
  CLI::App app{"meridianctl: operator CLI of a Meridian cluster (talks to the admin APIs)"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand too

  std::vector<std::string> admin;
  double timeout_s = 5;
  app.add_option("--admin", admin,
                 "admin API of a region (repeatable); the others are found from its /regionz. "
                 "Default: $MERIDIAN_ADMIN, else " +
                     std::string(kDefaultAdmin))
      ->type_name("URL")
      ->allow_extra_args(false);  // one URL per --admin
  app.add_option("--timeout", timeout_s, "seconds to wait for each admin API answer")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();

  ctl::Options options;
  auto add_json = [&options](CLI::App* sub) {
    sub->add_flag("--json", options.json, "machine output: one JSON document");
  };

  CLI::App* status = app.add_subcommand(
      "status", "every region: health, peers, replication lag, applied vector, last seq");
  add_json(status);

  std::string tables_table;
  CLI::App* tables =
      app.add_subcommand("tables", "tables per region: status, items, policy, replicas");
  add_json(tables);
  tables->add_option("--table", tables_table, "only this table");

  ctl::VerifyOptions verify;
  double verify_timeout_s = 60;
  CLI::App* verify_cmd = app.add_subcommand(
      "verify", "anti-entropy now (POST /verify): digests compared across regions, repairs");
  add_json(verify_cmd);
  verify_cmd->add_option("--table", verify.table, "only this table (default: every table)");
  verify_cmd->add_option("--region", verify.region,
                         "region that compares itself with its peers and repairs itself "
                         "(default: the first --admin)");
  verify_cmd->add_flag("--force", verify.force, "compare even while replication is in flight");
  verify_cmd->add_flag("--adopt", verify.adopt,
                       "replace items that differ with equal history by the peer's (bit rot)");
  verify_cmd->add_option("--verify-timeout", verify_timeout_s, "seconds to wait for the verify")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();

  std::string conflicts_table;
  CLI::App* conflicts = app.add_subcommand("conflicts", "recent conflict resolutions per region");
  add_json(conflicts);
  conflicts->add_option("--table", conflicts_table, "only this table's conflicts");

  ctl::LagOptions lag;
  double interval_s = 1;
  CLI::App* lag_cmd = app.add_subcommand("lag", "replication lag per region and peer");
  add_json(lag_cmd);
  lag_cmd->add_flag("--follow,-f", lag.follow, "refresh until interrupted (SIGINT)");
  lag_cmd->add_option("--interval", interval_s, "seconds between refreshes")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
  lag_cmd->add_option("--count", lag.count, "with --follow: stop after N refreshes")
      ->check(CLI::Range(0, 1000000000));

  ctl::WorkOptions work;
  double work_interval_s = 1;
  CLI::App* work_cmd = app.add_subcommand(
      "work", "running backfills, re-bootstraps, anti-entropy and index builds per region");
  add_json(work_cmd);
  work_cmd->add_flag("--all", work.all, "the recently finished tasks too");
  work_cmd->add_flag("--follow,-f", work.refresh.follow, "refresh until interrupted (SIGINT)");
  work_cmd->add_option("--interval", work_interval_s, "seconds between refreshes")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
  work_cmd->add_option("--count", work.refresh.count, "with --follow: stop after N refreshes")
      ->check(CLI::Range(0, 1000000000));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : ctl::kExitUsage;
  }

  options.admin_urls = admin.empty() ? AdminFromEnv() : admin;
  if (options.admin_urls.empty()) options.admin_urls.emplace_back(kDefaultAdmin);
  options.timeout = Millis(timeout_s);
  verify.timeout = Millis(verify_timeout_s);
  lag.interval = Millis(interval_s);
  work.refresh.interval = Millis(work_interval_s);

  if (status->parsed()) return ctl::RunStatus(options);
  if (tables->parsed()) return ctl::RunTables(options, tables_table);
  if (verify_cmd->parsed()) return ctl::RunVerify(options, verify);
  if (conflicts->parsed()) return ctl::RunConflicts(options, conflicts_table);
  if (work_cmd->parsed()) return ctl::RunWork(options, work);
  return ctl::RunLag(options, lag);
}
