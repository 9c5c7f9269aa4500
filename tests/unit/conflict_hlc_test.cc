#include "conflict/hlc.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <vector>

#include "conflict_test_util.h"

namespace meridian::conflict::testing {
namespace {

constexpr uint64_t kT = 1'700'000'000'000;

TEST(Hlc, PacksMillisAndLogical) {
  const Hlc h = Hlc::FromParts(kT, 7);
  EXPECT_EQ(h.millis(), kT);
  EXPECT_EQ(h.logical(), 7);
  EXPECT_EQ(h.packed(), kT << 16 | 7);
  EXPECT_EQ(Hlc::FromPacked(h.packed()), h);
  EXPECT_EQ(h.ToString(), "1700000000000.7");
  EXPECT_LT(Hlc::FromParts(kT, 65535), Hlc::FromParts(kT + 1, 0));
}

TEST(Hlc, NextCarriesAFullLogicalCounterIntoMillis) {
  EXPECT_EQ(Hlc::FromParts(kT, 3).Next(), Hlc::FromParts(kT, 4));
  EXPECT_EQ(Hlc::FromParts(kT, 65535).Next(), Hlc::FromParts(kT + 1, 0));
}

TEST(HybridLogicalClock, FollowsPhysicalTimeAndCountsWithinAMillisecond) {
  ManualClock physical(kT);
  HybridLogicalClock clock(&physical, 100);
  EXPECT_EQ(clock.Now(), Hlc::FromParts(kT, 0));
  EXPECT_EQ(clock.Now(), Hlc::FromParts(kT, 1));
  physical.Advance(5);
  EXPECT_EQ(clock.Now(), Hlc::FromParts(kT + 5, 0));
  EXPECT_EQ(clock.Current(), Hlc::FromParts(kT + 5, 0));
}

TEST(HybridLogicalClock, StaysMonotonicWhenPhysicalTimeGoesBack) {
  ManualClock physical(kT);
  HybridLogicalClock clock(&physical, 100);
  const Hlc before = clock.Now();
  physical.Set(kT - 5000);
  EXPECT_EQ(clock.Now(), before.Next());
}

TEST(HybridLogicalClock, AdvancesOnReceiveWithinSkew) {
  ManualClock physical(kT);
  HybridLogicalClock clock(&physical, 100);
  const Hlc remote = Hlc::FromParts(kT + 50, 3);
  HybridLogicalClock::Observation o = clock.Observe(remote);
  EXPECT_FALSE(o.skewed);
  EXPECT_EQ(o.ahead_ms, 50u);
  EXPECT_EQ(o.clock, remote);
  EXPECT_EQ(clock.Now(), Hlc::FromParts(kT + 50, 4));  // orders after what it received
}

TEST(HybridLogicalClock, RemoteBehindChangesNothing) {
  ManualClock physical(kT);
  HybridLogicalClock clock(&physical, 100);
  const Hlc now = clock.Now();
  HybridLogicalClock::Observation o = clock.Observe(Hlc::FromParts(kT - 10, 0));
  EXPECT_FALSE(o.skewed);
  EXPECT_EQ(o.ahead_ms, 0u);
  EXPECT_EQ(o.clock, now);
}

TEST(HybridLogicalClock, FlagsAndRefusesARemoteTooFarAhead) {
  ManualClock physical(kT);
  HybridLogicalClock clock(&physical, 100);
  const Hlc now = clock.Now();
  HybridLogicalClock::Observation o = clock.Observe(Hlc::FromParts(kT + 101, 0));
  EXPECT_TRUE(o.skewed);
  EXPECT_EQ(o.ahead_ms, 101u);
  EXPECT_EQ(o.clock, now);  // not adopted, not rewound
  EXPECT_EQ(clock.Now(), now.Next());
  // Exactly max skew ahead is still fine.
  EXPECT_FALSE(clock.Observe(Hlc::FromParts(kT + 100, 0)).skewed);
  EXPECT_EQ(clock.Current(), Hlc::FromParts(kT + 100, 0));
}

// Random interleavings of physical time jumps (backwards too), local events and remote
// timestamps: Now() strictly increases, never trails physical time, and orders after
// every adopted remote; skewed remotes are exactly those beyond max skew.
RC_GTEST_PROP(HybridLogicalClockProperty, MonotonicAndAfterEverythingAdopted, ()) {
  ManualClock physical(kT);
  HybridLogicalClock clock(&physical, 100);
  Hlc last;
  Hlc adopted;
  const auto steps = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(
      rc::gen::tuple(rc::gen::inRange(0, 3), rc::gen::inRange(-200, 300), rc::gen::inRange(0, 4)));
  for (const auto& [kind, delta, logical] : steps) {
    if (kind == 0) {
      physical.Set(static_cast<uint64_t>(static_cast<int64_t>(physical.NowMillis()) + delta));
    } else if (kind == 1) {
      const Hlc now = clock.Now();
      RC_ASSERT(now > last);
      RC_ASSERT(now > adopted);
      RC_ASSERT(now.millis() >= physical.NowMillis());
      last = now;
    } else {
      const Hlc remote =
          Hlc::FromParts(static_cast<uint64_t>(static_cast<int64_t>(physical.NowMillis()) + delta),
                         static_cast<uint16_t>(logical));
      const Hlc before = clock.Current();
      HybridLogicalClock::Observation o = clock.Observe(remote);
      RC_ASSERT(o.skewed == (delta > 100));
      RC_ASSERT(o.clock >= before);
      if (!o.skewed) adopted = std::max(adopted, remote);
      RC_ASSERT(o.clock >= adopted);
    }
  }
}

}  // namespace
}  // namespace meridian::conflict::testing
