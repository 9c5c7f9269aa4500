// meridiand: one region's daemon. Wires config -> store -> DynamoDB API + admin API, and
// shuts down cleanly on SIGTERM/SIGINT.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <jemalloc/jemalloc.h>
#include <sched.h>

#include <csignal>
#include <filesystem>
#include <optional>
#include <random>
#include <thread>
#include <type_traits>
#include <variant>

#include "common/wall_clock.h"
#include "daemon/access_keys.h"
#include "daemon/admin.h"
#include "daemon/api/api.h"
#include "daemon/api/backup_service.h"
#include "daemon/api/capacity_limiter.h"
#include "daemon/api/export_import.h"
#include "daemon/config.h"
#include "daemon/dynamodb_http.h"
#include "daemon/http_server.h"
#include "daemon/lag_history.h"
#include "daemon/metrics.h"
#include "daemon/trigger.h"
#include "replication/nats_transport.h"
#include "replication/peer_auth.h"
#include "replication/replicator.h"
#include "security/sigv4.h"
#include "store/encryption.h"
#include "store/store.h"
#include "store/ttl_sweeper.h"

namespace {

constexpr const char* kVersion = "0.1.0";

// The transparent-huge-page mode jemalloc runs with: "default" unless MALLOC_CONF sets `thp`
// (docs/operations.md: huge pages make requests cheaper and replication slower here).
std::string AllocatorHugePages() {
  const char* mode = nullptr;
  size_t size = sizeof mode;
  if (mallctl("opt.thp", static_cast<void*>(&mode), &size, nullptr, 0) != 0 || mode == nullptr) {
    return "unknown";
  }
  return mode;
}

std::string RandomServerId() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string id;
  for (int i = 0; i < 16; ++i) id += kChars[gen() % 36];
  return id;
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

// The configuration from the command line and the --config file (flags override the
// file), validated. Returns an exit code when the process should stop here (--help,
// --version, -t, or an error).
std::optional<int> ParseConfig(int argc, char** argv, meridian::daemon::Config* config) {
  using meridian::daemon::Config;
  using meridian::daemon::ConfigKeys;
  Config flags;
  bool test_only = false;
  CLI::App app{"meridiand: one region of a Meridian global table cluster"};
  app.add_option("--config", flags.config_file, "TOML config file (same keys as the flags)");
  app.add_flag("-t,--test-config", test_only, "validate the configuration and exit");
  for (const auto& key : ConfigKeys()) {
    std::visit(
        [&](auto member) {
          if constexpr (std::is_same_v<decltype(member), bool Config::*>) {
            app.add_flag(key.FlagName(), flags.*member, key.help);
          } else {
            app.add_option(key.FlagName(), flags.*member, key.help);
          }
        },
        key.field);
  }
  app.set_version_flag("--version", kVersion);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!flags.config_file.empty()) {
    meridian::Status s = meridian::daemon::LoadConfigFile(flags.config_file, config);
    if (!s.ok()) return Fail("config: " + s.message());
  }
  for (const auto& key : ConfigKeys()) {
    if (app.get_option(key.FlagName())->count() > 0) key.Copy(flags, config);
  }
  meridian::Status valid = meridian::daemon::ValidateConfig(*config);
  if (!valid.ok()) return Fail("config: " + valid.message());
  if (test_only) {
    std::printf("configuration ok\n");
    return 0;
  }
  return std::nullopt;
}

// Blocks the shutdown signals in every thread (threads started later inherit the mask);
// the main thread waits for them.
sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return signals;
}

meridian::store::StoreOptions StoreOptionsFor(const meridian::daemon::Config& config) {
  meridian::store::StoreOptions options;
  options.path = config.data_dir;
  options.region = config.region;
  options.sync_writes = config.durability == "fsync";
  options.item_cache_mb = config.item_cache_mb;
  options.block_cache_mb = config.block_cache_mb;
  options.region_id = config.region_id ? config.region_id : 1;
  options.streams.retention_ms = config.stream_retention_s * 1000;
  options.streams.shard_max_records = config.stream_shard_max_records;
  options.streams.shard_max_age_ms = config.stream_shard_max_age_s * 1000;
  return options;
}

std::string AdvertisedAdminUrl(const meridian::daemon::Config& config) {
  if (!config.advertise_admin_url.empty()) return config.advertise_admin_url;
  return (config.tls_cert.empty() ? "http://" : "https://") + config.admin_listen;
}

meridian::replication::NatsTransportOptions NatsOptionsFor(const meridian::daemon::Config& config,
                                                           const std::string& server_id) {
  meridian::replication::NatsTransportOptions o;
  o.url = config.nats_url;
  o.name = "meridiand-" + config.region + "-" + server_id;
  o.ca_file = config.nats_ca;
  o.cert_file = config.nats_cert;
  o.key_file = config.nats_key;
  o.user = config.nats_user;
  o.password = config.nats_password;
  o.token = config.nats_token;
  o.creds_file = config.nats_creds;
  return o;
}

meridian::replication::ReplicatorOptions ReplicatorOptionsFor(
    const meridian::daemon::Config& config, const std::string& server_id) {
  meridian::replication::ReplicatorOptions r;
  r.cluster = config.cluster;
  r.region_name = config.region;
  r.region_id = config.region_id;
  r.server_id = server_id;
  r.admin_url = AdvertisedAdminUrl(config);
  r.heartbeat = std::chrono::milliseconds(config.heartbeat_ms);
  r.log_retention = config.log_retention;
  r.anti_entropy_interval = std::chrono::seconds(config.anti_entropy_interval_s);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace meridian;
  spdlog::set_pattern("ts=%Y-%m-%dT%H:%M:%S.%fZ level=%l %v", spdlog::pattern_time_type::utc);

  daemon::Config config;
  if (auto exit_code = ParseConfig(argc, argv, &config)) return *exit_code;
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  const sigset_t signals = BlockShutdownSignals();

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return Fail("data_dir " + config.data_dir + ": " + ec.message());
  store::StoreOptions store_options = StoreOptionsFor(config);
  if (!config.encryption_key_file.empty()) {
    auto key = store::ReadEncryptionKeyFile(config.encryption_key_file);
    if (!key.ok()) return Fail(key.status().message());
    store_options.encryption_key = std::move(*key);
    spdlog::info("msg=\"encryption at rest on: RocksDB files are AES-256-CTR encrypted\"");
  }
  auto store = store::Store::Open(store_options);
  store_options.encryption_key.clear();
  if (!store.ok()) return Fail("store: " + store.status().message());
  store::Store* db = store->get();
  daemon::ServerIdentity identity{
      config.region,     store_options.region_id,   config.cluster, RandomServerId(), kVersion,
      WallClockMillis(), AdvertisedAdminUrl(config)};

  // Replication: only with a NATS server configured.
  Status s;
  std::unique_ptr<replication::Transport> transport;
  std::shared_ptr<replication::PeerAuthenticator> peer_auth;
  std::unique_ptr<replication::Replicator> replicator;
  if (!config.nats_url.empty()) {
    auto connected = replication::ConnectNats(NatsOptionsFor(config, identity.server_id));
    if (!connected.ok()) return Fail("nats: " + connected.status().message());
    transport = std::move(connected).value();
    if (!config.peer_key_file.empty()) {
      auto auth = replication::PeerAuthenticator::Load({config.region, config.region_id},
                                                       config.peer_key_file, config.peer_keys_dir);
      if (!auth.ok()) return Fail("peer authentication: " + auth.status().message());
      peer_auth = std::move(auth).value();
      spdlog::info("msg=\"replication messages signed and verified\" configured_regions={}",
                   peer_auth->configured_regions());
      transport = replication::NewAuthenticatedTransport(std::move(transport), peer_auth);
    } else {
      spdlog::warn("msg=\"peers not authenticated: no peer_key_file (see docs/security.md)\"");
    }
    replicator = std::make_unique<replication::Replicator>(
        db, transport.get(), ReplicatorOptionsFor(config, identity.server_id));
    replication::Replicator* rep = replicator.get();
    db->SetCommitListener([rep](uint64_t seq) { rep->NotifyCommitted(seq); });
    s = replicator->Start();
    if (!s.ok()) return Fail("replication: " + s.message());
  }

  auto access_keys = daemon::LoadAccessKeys(config);
  if (!access_keys.ok()) return Fail("config: " + access_keys.status().message());
  std::unique_ptr<security::Authenticator> authenticator;
  if (access_keys->keys.empty()) {
    spdlog::warn(
        "msg=\"authentication off: no access keys configured, every request is accepted "
        "(local development; see docs/security.md)\"");
  } else {
    const size_t n = access_keys->keys.size();
    authenticator =
        std::make_unique<security::Authenticator>(std::move(access_keys->keys), config.region);
    spdlog::info("msg=\"SigV4 authentication on\" access_keys={} account={}", n,
                 access_keys->account_id);
  }

  api::ApiOptions api_options;
  api_options.region = config.region;
  api_options.account_id = access_keys->account_id;
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
  auto backups = std::make_unique<api::BackupService>(
      db, api::BackupServiceOptions{
              config.backup_dir.empty() ? config.data_dir + "/backups" : config.backup_dir,
              config.s3_dir.empty() ? config.data_dir + "/s3" : config.s3_dir, config.region,
              access_keys->account_id, config.backup_cpu_percent / 100.0});
  s = backups->Start();
  if (!s.ok()) return Fail("backups: " + s.message());
  api_options.backups = backups.get();
  api::ExportImport exports(backups.get());
  s = exports.Start();
  if (!s.ok()) return Fail("exports: " + s.message());
  api_options.exports = &exports;
  api::CapacityLimiter limiter(api::CapacityLimits{
      static_cast<double>(config.capacity_burst_s),
      static_cast<double>(config.on_demand_table_read_units),
      static_cast<double>(config.on_demand_table_write_units),
      static_cast<double>(config.account_read_units),
      static_cast<double>(config.account_write_units), config.autoscale_interval_s});
  if (config.throttling) api_options.limiter = &limiter;
  // Auto scaling of a table runs in one region, the first of its replicas by name; the new
  // rates replicate with the definition.
  limiter.Start(db, [&config, regions = api_options.regions](const store::TableInfo& t) {
    std::vector<std::string> hosts;
    if (t.all_regions) {
      if (regions) hosts = regions();
    } else {
      for (const auto& r : t.replicas) hosts.push_back(r.region);
    }
    return hosts.empty() || *std::min_element(hosts.begin(), hosts.end()) == config.region;
  });
  api::Api api(db, api_options);

  store::TtlSweeper sweeper(
      db, store::TtlSweeperOptions{config.ttl_sweep_interval_ms, config.ttl_max_deletes_per_s});
  sweeper.Start();
  std::vector<std::unique_ptr<daemon::Trigger>> triggers;
  for (const auto& trigger : config.triggers) {
    triggers.push_back(
        std::make_unique<daemon::Trigger>(db, trigger, config.region, api_options.account_id));
    triggers.back()->Start();
  }

  const int threads = config.threads > 0 ? config.threads : UsableCpus();
  daemon::Metrics metrics;
  auto listen = *daemon::ParseHostPort(config.listen);
  daemon::HttpServerOptions api_http{listen.first, listen.second, threads};
  api_http.tls_cert = config.tls_cert;
  api_http.tls_key = config.tls_key;
  api_http.tls_client_ca = config.tls_client_ca;
  daemon::DynamoDbHttpOptions dynamodb_http;
  dynamodb_http.region = config.region;
  dynamodb_http.cors_allowed_origins = config.cors_allowed_origins;
  dynamodb_http.compression_threshold = config.response_compression_threshold;
  daemon::HttpServer api_server(
      api_http,
      daemon::MakeDynamoDbHandler(dynamodb_http, &api, db, &metrics, authenticator.get()));
  s = api_server.Start();
  if (!s.ok()) return Fail("api: " + s.message());

  auto admin = *daemon::ParseHostPort(config.admin_listen);
  std::unique_ptr<daemon::LagHistory> lag_history;
  if (replicator) lag_history = std::make_unique<daemon::LagHistory>(replicator.get());
  daemon::AdminState admin_state{
      &identity, db, replicator.get(), &metrics, lag_history.get(), peer_auth.get(), &limiter};
  daemon::HttpServerOptions admin_http{admin.first, admin.second, 1};
  admin_http.tls_cert = config.tls_cert;
  admin_http.tls_key = config.tls_key;
  admin_http.tls_client_ca = config.tls_client_ca;
  daemon::HttpServer admin_server(admin_http, daemon::MakeAdminHandler(&admin_state));
  s = admin_server.Start();
  if (!s.ok()) return Fail("admin: " + s.message());

  const char* scheme = config.tls_cert.empty() ? "http" : "https";
  spdlog::info(
      "msg=\"meridiand started\" region={} region_id={} api={}://{}:{} admin={}://{}:{} "
      "data_dir={} threads={} durability={} last_seq={} nats={} allocator_thp={}",
      config.region, store_options.region_id, scheme, listen.first, api_server.bound_port(), scheme,
      admin.first, admin_server.bound_port(), config.data_dir, threads, config.durability,
      db->last_seq(), config.nats_url.empty() ? "off" : config.nats_url, AllocatorHugePages());

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("msg=\"shutting down\" signal={}", sig);
  // In this order: no new requests, no replication threads using the store, then the store.
  api_server.Stop();
  admin_server.Stop();
  lag_history.reset();
  for (auto& trigger : triggers) trigger->Stop();
  sweeper.Stop();
  backups.reset();  // running jobs stop here; the next start cleans up after them
  if (replicator) replicator->Stop();
  store->reset();
  spdlog::info("msg=\"stopped\"");
  return 0;
}
