// Catch-up cost without the network: region A commits N PutItems (bench-sized items), then
// region B applies A's log through Store::ApplyRemoteChanges in runs of 16,384 changes,
// as the replicator does when it catches up. Prints records/s.
//
//   build/bin/apply_bench [N=200000] [dir=/tmp/meridian-apply-bench]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/store.h"

using namespace meridian;

namespace {

std::unique_ptr<store::Store> OpenStore(const std::string& path, const char* region, uint32_t id) {
  store::StoreOptions o;
  o.path = path;
  o.region = region;
  o.region_id = id;
  auto s = store::Store::Open(o);
  if (!s.ok()) {
    std::fprintf(stderr, "open %s: %s\n", path.c_str(), s.status().message().c_str());
    std::exit(1);
  }
  return std::move(s).value();
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  const std::string dir = argc > 2 ? argv[2] : "/tmp/meridian-apply-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto a = OpenStore(dir + "/a", "a", 1);
  auto b = OpenStore(dir + "/b", "b", 2);

  store::TableInfo info;
  info.name = "bench";
  info.partition_key = {"pk", store::KeyType::kS};
  info.all_regions = true;
  auto table = a->CreateTable(info);
  if (!table.ok()) return 1;

  auto t0 = std::chrono::steady_clock::now();
  const std::string payload(100, 'x');
  for (size_t i = 0; i < n; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "k%07zu", i % 100000);
    model::Item item{{"pk", model::AttributeValue::S(key)},
                     {"n", model::AttributeValue::N(*model::Number::Parse(std::to_string(i)))},
                     {"payload", model::AttributeValue::S(payload)}};
    auto w = (*table)->name;
    auto r = a->WriteItem(
        **table, item.at("pk"), nullptr,
        [&](const model::Item*) -> Result<store::Mutation> {
          return store::Mutation{store::Mutation::Kind::kPut, item, {}, {}};
        },
        store::CommitMode::kDeferred);
    if (!r.ok()) return 1;
    if (i % 64 == 63) a->CommitPending();
  }
  a->CommitPending();
  std::printf("origin: %zu writes committed in %.2f s\n", n, Seconds(t0));

  t0 = std::chrono::steady_clock::now();
  const double cpu0 = CpuSeconds();
  uint64_t next = 1;
  size_t applied = 0;
  std::vector<std::string> run;
  double read_s = 0;
  while (true) {
    auto r0 = std::chrono::steady_clock::now();
    if (!a->ReadLog(1, next, 16384, 4 << 20, &run).ok()) return 1;
    read_s += Seconds(r0);
    if (run.empty()) break;
    auto stats = b->ApplyRemoteChanges(run);
    if (!stats.ok()) {
      std::fprintf(stderr, "apply: %s\n", stats.status().message().c_str());
      return 1;
    }
    applied += stats->applied;
    next += run.size();
  }
  const double s = Seconds(t0);
  const double cpu = CpuSeconds() - cpu0;
  std::printf(
      "apply: %zu records in %.2f s (log reads %.2f s): %.0f records/s; applying thread CPU %.2f s "
      "= %.1f us/record\n",
      applied, s, read_s, applied / s, cpu, cpu * 1e6 / applied);
  a.reset();
  b.reset();
  std::filesystem::remove_all(dir);
  return 0;
}
