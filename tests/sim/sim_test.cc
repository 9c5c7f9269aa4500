// The deterministic simulation in the default test run: a sweep of seeds (MERIDIAN_SIM_SEEDS,
// default 500) and determinism itself (one seed twice, the same final state).
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "tests/sim/simulation.h"

namespace meridian::sim {
namespace {

TEST(SimTest, SameSeedSameFinalState) {
  spdlog::set_level(spdlog::level::off);
  SimOptions o;
  o.seed = 42;
  const auto a = RunSimulation(o);
  const auto b = RunSimulation(o);
  ASSERT_TRUE(a.ok) << a.failure;
  ASSERT_TRUE(b.ok) << b.failure;
  EXPECT_NE(a.state_hash, 0u);
  EXPECT_EQ(a.state_hash, b.state_hash);
  EXPECT_EQ(a.messages, b.messages);
  EXPECT_EQ(a.simulated_ms, b.simulated_ms);
  o.seed = 43;
  EXPECT_NE(RunSimulation(o).state_hash, a.state_hash);
}

TEST(SimTest, SweepOfSeedsKeepsEveryInvariant) {
  spdlog::set_level(spdlog::level::off);
  const char* env = std::getenv("MERIDIAN_SIM_SEEDS");
  const uint64_t seeds = env ? std::strtoull(env, nullptr, 10) : 500;
  uint64_t crashes = 0, partitions = 0, acknowledged = 0, transactions = 0;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    SimOptions o;
    o.seed = seed;
    const auto r = RunSimulation(o);
    ASSERT_TRUE(r.ok) << "seed " << seed << ": " << r.failure
                      << " (replay: build/bin/meridian-sim --seed " << seed << ")";
    crashes += r.crashes;
    partitions += r.partitions;
    acknowledged += r.acknowledged;
    transactions += r.transactions;
  }
  // The sweep really exercised faults and writes.
  EXPECT_GT(crashes, seeds / 4);
  EXPECT_GT(partitions, seeds);
  EXPECT_GT(acknowledged, seeds * 50);
  EXPECT_GT(transactions, seeds * 10);
}

// The mutation check of the transaction workload: applying a remote transaction change by
// change (its unit boundary ignored) must be caught as a transaction seen in part.
TEST(SimTest, SplittingTransactionUnitsIsCaught) {
  spdlog::set_level(spdlog::level::off);
  int failures = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SimOptions o;
    o.seed = seed;
    o.atomic_transactions = false;
    const auto r = RunSimulation(o);
    if (!r.ok) {
      EXPECT_NE(r.failure.find("transaction seen in part"), std::string::npos) << r.failure;
      ++failures;
    }
  }
  EXPECT_GE(failures, 4);  // 10 of these 40 seeds when this test was written
}

}  // namespace
}  // namespace meridian::sim
