// meridian-sim: runs the deterministic simulation (tests/sim/simulation.h).
//
//   build/bin/meridian-sim --seed 1234            # replay one seed (prints its state hash)
//   build/bin/meridian-sim --seeds 1:20000        # a long sweep
//   build/bin/meridian-sim --seeds 1:500 --steps 300 --no-faults
//   build/bin/meridian-sim --seeds 1:50 --split-transactions   # mutation: must fail seeds
//
// Prints every failing seed with the invariant it broke, then seeds explored, failures,
// seeds/s and simulated hours per second of wall time. Exit status 1 if any seed failed.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/sim/simulation.h"

int main(int argc, char** argv) {
  uint64_t first = 1, last = 100;
  meridian::sim::SimOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--seed" && value) {
      first = last = std::strtoull(value, nullptr, 10);
      ++i;
    } else if (arg == "--seeds" && value) {
      const char* colon = std::strchr(value, ':');
      first = std::strtoull(value, nullptr, 10);
      last = colon ? std::strtoull(colon + 1, nullptr, 10) : first;
      ++i;
    } else if (arg == "--steps" && value) {
      options.steps = std::atoi(value);
      ++i;
    } else if (arg == "--no-faults") {
      options.faults = false;
    } else if (arg == "--split-transactions") {
      options.atomic_transactions = false;  // the mutation check: failures expected
    } else {
      std::fprintf(stderr,
                   "usage: %s [--seed N | --seeds A:B] [--steps K] [--no-faults] "
                   "[--split-transactions]\n",
                   argv[0]);
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::off);
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t failures = 0, seeds = 0;
  int64_t simulated_ms = 0;
  for (uint64_t seed = first; seed <= last; ++seed, ++seeds) {
    options.seed = seed;
    const auto r = meridian::sim::RunSimulation(options);
    simulated_ms += r.simulated_ms;
    if (!r.ok) {
      ++failures;
      std::printf("FAIL seed=%llu: %s (replay: --seed %llu)\n",
                  static_cast<unsigned long long>(seed), r.failure.c_str(),
                  static_cast<unsigned long long>(seed));
    } else if (first == last) {
      std::printf(
          "seed=%llu ok regions=%d acknowledged=%llu transactions=%llu crashes=%llu "
          "partitions=%llu messages=%llu "
          "simulated=%.1fs converge=%.2fs state_hash=%016llx\n",
          static_cast<unsigned long long>(seed), r.regions,
          static_cast<unsigned long long>(r.acknowledged),
          static_cast<unsigned long long>(r.transactions),
          static_cast<unsigned long long>(r.crashes), static_cast<unsigned long long>(r.partitions),
          static_cast<unsigned long long>(r.messages), r.simulated_ms / 1000.0,
          r.converge_ms / 1000.0, static_cast<unsigned long long>(r.state_hash));
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "seeds=%llu failures=%llu wall=%.1fs seeds/s=%.1f simulated=%.2fh simulated_hours/s=%.3f\n",
      static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(failures), wall,
      seeds / wall, simulated_ms / 3.6e6, simulated_ms / 3.6e6 / wall);
  return failures ? 1 : 0;
}
