// meridiand: one region's daemon. Wires config -> store -> DynamoDB API + admin API, and
// shuts down cleanly on SIGTERM/SIGINT.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <sched.h>

#include <csignal>
#include <filesystem>
#include <random>
#include <thread>

#include "daemon/admin.h"
#include "daemon/api/api.h"
#include "daemon/config.h"
#include "daemon/http_server.h"
#include "replication/nats_transport.h"
#include "replication/replicator.h"
#include "store/store.h"

namespace {

constexpr const char* kVersion = "0.1.0";

std::string RandomServerId() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string id;
  for (int i = 0; i < 16; ++i) id += kChars[gen() % 36];
  return id;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int Fail(const std::string& msg) {
  spdlog::error("msg=\"{}\"", msg);
  return 1;
}

// CPUs this process may run on (its affinity mask, so `taskset -c 0 meridiand` gets one API
// thread: two threads on one core cost ~30 % of throughput in context switches).
int UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace meridian;
  spdlog::set_pattern("ts=%Y-%m-%dT%H:%M:%S.%fZ level=%l %v", spdlog::pattern_time_type::utc);

  daemon::Config config, flags;
  bool test_only = false;
  CLI::App app{"meridiand: one region of a Meridian global table cluster"};
  app.add_option("--config", flags.config_file, "TOML config file (same keys as the flags)");
  app.add_flag("-t,--test-config", test_only, "validate the configuration and exit");
  app.add_option("--region", flags.region, "region name");
  app.add_option("--data-dir", flags.data_dir, "data directory");
  app.add_option("--listen", flags.listen, "DynamoDB API address HOST:PORT");
  app.add_option("--admin-listen", flags.admin_listen, "status API address HOST:PORT");
  app.add_option("--threads", flags.threads, "API worker threads (0 = cores)");
  app.add_option("--durability", flags.durability, "wal | fsync");
  app.add_option("--log-level", flags.log_level, "trace|debug|info|warn|error");
  app.add_option("--cluster", flags.cluster, "cluster name (NATS subject namespace)");
  app.add_option("--region-id", flags.region_id, "this region's id in the cluster (1..65535)");
  app.add_option("--nats-url", flags.nats_url, "this region's NATS server (enables replication)");
  app.add_flag("--global-tables", flags.global_tables, "make every new table global across all regions");
  app.add_option("--heartbeat-ms", flags.heartbeat_ms, "replication heartbeat period");
  app.add_option("--anti-entropy-interval-s", flags.anti_entropy_interval_s,
                 "seconds between anti-entropy rounds (0 = only on POST /verify)");
  app.add_option("--log-retention", flags.log_retention,
                 "change-log records kept per origin beyond what every region has applied (0 = all)");
  app.set_version_flag("--version", kVersion);
  CLI11_PARSE(app, argc, argv);

  if (!flags.config_file.empty()) {
    Status s = daemon::LoadConfigFile(flags.config_file, &config);
    if (!s.ok()) return Fail("config: " + s.message());
  }
  // Flags given on the command line override the file.
  auto given = [&](const char* name) { return app.get_option(name)->count() > 0; };
  if (given("--region")) config.region = flags.region;
  if (given("--data-dir")) config.data_dir = flags.data_dir;
  if (given("--listen")) config.listen = flags.listen;
  if (given("--admin-listen")) config.admin_listen = flags.admin_listen;
  if (given("--threads")) config.threads = flags.threads;
  if (given("--durability")) config.durability = flags.durability;
  if (given("--log-level")) config.log_level = flags.log_level;
  if (given("--cluster")) config.cluster = flags.cluster;
  if (given("--region-id")) config.region_id = flags.region_id;
  if (given("--nats-url")) config.nats_url = flags.nats_url;
  if (given("--global-tables")) config.global_tables = flags.global_tables;
  if (given("--heartbeat-ms")) config.heartbeat_ms = flags.heartbeat_ms;
  if (given("--log-retention")) config.log_retention = flags.log_retention;
  if (given("--anti-entropy-interval-s")) config.anti_entropy_interval_s = flags.anti_entropy_interval_s;

  Status valid = daemon::ValidateConfig(config);
  if (!valid.ok()) return Fail("config: " + valid.message());
  if (test_only) {
    std::printf("configuration ok\n");
    return 0;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));

  // Block the shutdown signals in every thread; the main thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return Fail("data_dir " + config.data_dir + ": " + ec.message());
  store::StoreOptions store_options;
  store_options.path = config.data_dir;
  store_options.region = config.region;
  store_options.sync_writes = config.durability == "fsync";
  store_options.region_id = config.region_id ? config.region_id : 1;
  auto store = store::Store::Open(store_options);
  if (!store.ok()) return Fail("store: " + store.status().message());

  store::Store* db = store->get();
  daemon::ServerIdentity identity{config.region, store_options.region_id, config.cluster,
                                  RandomServerId(), kVersion, NowMs()};

  Status s;
  // Replication: only with a NATS server configured.
  std::unique_ptr<replication::Transport> transport;
  std::unique_ptr<replication::Replicator> replicator;
  if (!config.nats_url.empty()) {
    auto connected = replication::ConnectNats(
        {config.nats_url, "meridiand-" + config.region + "-" + identity.server_id, 250});
    if (!connected.ok()) return Fail("nats: " + connected.status().message());
    transport = std::move(connected).value();
    replication::ReplicatorOptions r;
    r.cluster = config.cluster;
    r.region_name = config.region;
    r.region_id = config.region_id;
    r.server_id = identity.server_id;
    r.heartbeat = std::chrono::milliseconds(config.heartbeat_ms);
    r.log_retention = config.log_retention;
    r.anti_entropy_interval = std::chrono::seconds(config.anti_entropy_interval_s);
    replicator = std::make_unique<replication::Replicator>(db, transport.get(), r);
    replication::Replicator* rep = replicator.get();
    db->SetCommitListener([rep](uint64_t seq) { rep->NotifyCommitted(seq); });
    s = replicator->Start();
    if (!s.ok()) return Fail("replication: " + s.message());
  }

  api::ApiOptions api_options;
  api_options.region = config.region;
  api_options.group_commit = true;
  api_options.global_tables = config.global_tables;
  api_options.endpoint_address = config.listen;  // DescribeEndpoints
  if (replicator) {
    replication::Replicator* rep = replicator.get();
    api_options.regions = [rep] { return rep->Regions(); };
    api_options.replica_status = [rep](const store::TableInfo& table, const std::string& region) {
      return rep->ReplicaStatus(table, region);
    };
  }
  api::Api api(db, api_options);

  const int threads = config.threads > 0 ? config.threads : UsableCpus();
  auto listen = *daemon::ParseHostPort(config.listen);
  daemon::HttpServer api_server(
      daemon::HttpServerOptions{listen.first, listen.second, threads},
      [&api, db](daemon::HttpRequest& req, daemon::HttpResponder respond) {
        if (req.method != "POST") {
          return respond(daemon::HttpResponse{200, "text/plain", "healthy: meridian\n", {}});
        }
        auto r = api.Handle(req.amz_target, req.body);
        daemon::HttpResponse response{r.status, "application/x-amz-json-1.0", std::move(r.body),
                                      {{"x-amzn-RequestId", "meridian"}}};
        if (r.commit_seq == 0) return respond(std::move(response));
        // Acknowledge only once the write's commit group is in the WAL. The group is written
        // after the requests already queued on this worker, so concurrent writes share it.
        bool schedule = db->WhenDurable(
            r.commit_seq, [respond = std::move(respond), response = std::move(response)](Status st) mutable {
              if (!st.ok()) {
                response = daemon::HttpResponse{500, "application/x-amz-json-1.0",
                                                R"({"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"})",
                                                {}};
              }
              respond(std::move(response));
            });
        if (schedule) daemon::PostToCurrentWorker([db] { db->CommitPending(); });
      });
  s = api_server.Start();
  if (!s.ok()) return Fail("api: " + s.message());


  auto admin = *daemon::ParseHostPort(config.admin_listen);
  daemon::AdminState admin_state{&identity, db, replicator.get()};
  daemon::HttpServer admin_server(daemon::HttpServerOptions{admin.first, admin.second, 1},
                                  daemon::MakeAdminHandler(&admin_state));
  s = admin_server.Start();
  if (!s.ok()) return Fail("admin: " + s.message());

  spdlog::info("msg=\"meridiand started\" region={} region_id={} api=http://{}:{} admin=http://{}:{} data_dir={} threads={} durability={} last_seq={} nats={}",
               config.region, store_options.region_id, listen.first, api_server.bound_port(), admin.first,
               admin_server.bound_port(), config.data_dir, threads, config.durability,
               (*store)->last_seq(), config.nats_url.empty() ? "off" : config.nats_url);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("msg=\"shutting down\" signal={}", sig);
  api_server.Stop();
  admin_server.Stop();
  if (replicator) replicator->Stop();
  store->reset();
  spdlog::info("msg=\"stopped\"");
  return 0;
}
