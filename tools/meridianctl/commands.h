// The subcommands of meridianctl. Each prints to stdout (a table, or one JSON document with
// `json`), reports problems on stderr, and returns the process exit status: 0 done, 1 an admin
// API that could not be reached or refused the request.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace meridian::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUnreachable = 1;
inline constexpr int kExitUsage = 2;  // CLI11's parse errors

struct Options {
  std::vector<std::string> admin_urls;  // where discovery starts (at least one)
  std::chrono::milliseconds timeout{5000};
  bool json = false;
};

struct VerifyOptions {
  std::string table;   // "": every table
  std::string region;  // which region runs it ("": the first --admin region)
  bool force = false;  // compare even while replication is in flight
  bool adopt = false;  // replace differing items by the peer's (bit rot repair)
  std::chrono::milliseconds timeout{60000};
};

struct LagOptions {
  bool follow = false;
  std::chrono::milliseconds interval{1000};
  int count = 0;  // refreshes with --follow; 0: until SIGINT
};

struct WorkOptions {
  LagOptions refresh;  // --follow, --interval, --count as for `lag`
  bool all = false;    // the recently finished tasks too
};

int RunStatus(const Options& options);
int RunTables(const Options& options, const std::string& table);
int RunVerify(const Options& options, const VerifyOptions& verify);
int RunConflicts(const Options& options, const std::string& table);
int RunLag(const Options& options, const LagOptions& lag);
int RunWork(const Options& options, const WorkOptions& work);

}  // namespace meridian::ctl
