// Throughput limits: token buckets with burst, GSI back-pressure, replicated writes charged
// but never refused, on-demand tables untouched without limits, DynamoDB's decrease limit and
// the auto scaling tag.
#include <gtest/gtest.h>

#include "daemon/api/api_error.h"
#include "daemon/api/capacity_limiter.h"

namespace meridian::api {
namespace {

store::TableInfo Provisioned(uint64_t rcu, uint64_t wcu) {
  store::TableInfo t;
  t.name = "t";
  t.billing_mode = store::BillingMode::kProvisioned;
  t.read_capacity = rcu;
  t.write_capacity = wcu;
  return t;
}

std::string Refused(CapacityLimiter& l, const store::TableInfo& t, const store::IndexInfo* index,
                    bool write) {
  try {
    l.Admit(t, index, write);
    return "";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.http_status, 400);
    return e.type.substr(e.type.find('#') + 1);
  }
}

TEST(CapacityLimiterTest, BurstThenDebtRefuses) {
  CapacityLimiter l(CapacityLimits{.burst_seconds = 100});
  const auto t = Provisioned(10, 5);
  EXPECT_EQ(Refused(l, t, nullptr, true), "");  // a new table starts with its burst: 500 units
  l.Charge({{"t", "", 0, 499}});
  EXPECT_EQ(Refused(l, t, nullptr, true), "");
  l.Charge({{"t", "", 0, 50}});  // one request may go past zero
  EXPECT_EQ(Refused(l, t, nullptr, true), "ProvisionedThroughputExceededException");
  EXPECT_EQ(Refused(l, t, nullptr, false), "");  // reads have their own bucket
}

TEST(CapacityLimiterTest, GlobalIndexDebtHoldsBackTableWrites) {
  CapacityLimiter l(CapacityLimits{.burst_seconds = 10});
  auto t = Provisioned(100, 100);
  store::IndexInfo gsi;
  gsi.name = "g";
  gsi.read_capacity = 1;
  gsi.write_capacity = 1;
  t.indexes.push_back(gsi);
  EXPECT_EQ(Refused(l, t, nullptr, true), "");
  l.Charge({{"t", "", 0, 1}, {"t", "g", 0, 20}});
  EXPECT_EQ(Refused(l, t, nullptr, true), "ProvisionedThroughputExceededException");
  EXPECT_EQ(Refused(l, t, nullptr, false), "");
  EXPECT_EQ(Refused(l, t, &t.indexes[0], false), "");  // the index's reads are separate
}

TEST(CapacityLimiterTest, ReplicatedWritesAreChargedNotRefused) {
  CapacityLimiter l(CapacityLimits{.burst_seconds = 10});
  const auto t = Provisioned(10, 10);
  l.ChargeReplicated({{"t", 1000}});  // never throws; the debt lands on the table's bucket
  EXPECT_EQ(Refused(l, t, nullptr, true), "ProvisionedThroughputExceededException");
  EXPECT_EQ(l.stats().replicated_write_units, 1000u);
}

TEST(CapacityLimiterTest, OnDemandAndAccountLimits) {
  store::TableInfo t;
  t.name = "od";
  t.billing_mode = store::BillingMode::kPayPerRequest;
  CapacityLimiter unlimited(CapacityLimits{});
  unlimited.Charge({{"od", "", 1e9, 1e9}});
  EXPECT_EQ(Refused(unlimited, t, nullptr, true), "");
  EXPECT_EQ(Refused(unlimited, t, nullptr, false), "");

  CapacityLimiter table_limit(CapacityLimits{.burst_seconds = 1, .on_demand_table_write = 100});
  EXPECT_EQ(Refused(table_limit, t, nullptr, true), "");
  table_limit.Charge({{"od", "", 0, 200}});
  EXPECT_EQ(Refused(table_limit, t, nullptr, true), "ThrottlingException");
  EXPECT_EQ(Refused(table_limit, t, nullptr, false), "");

  CapacityLimiter account(CapacityLimits{.burst_seconds = 1, .account_read = 100});
  EXPECT_EQ(Refused(account, t, nullptr, false), "");
  account.Charge({{"od", "", 500, 0}});
  EXPECT_EQ(Refused(account, t, nullptr, false), "RequestLimitExceeded");
}

TEST(CapacityLimiterTest, DecreaseLimit) {
  store::ThroughputChanges c;
  const uint64_t day = 86'400'000, hour = 3'600'000;
  const uint64_t t0 = 20'000 * day + 1000;
  RecordThroughputChange(&c, 5, 5, 10, 10, t0, "table");
  EXPECT_EQ(c.last_increase_ms, t0);
  EXPECT_EQ(c.DecreasesOn(t0), 0u);
  for (uint32_t i = 1; i <= 4; ++i) {
    RecordThroughputChange(&c, 10, 10, 9, 10, t0 + i, "table");
    EXPECT_EQ(c.DecreasesOn(t0 + i), i);
  }
  EXPECT_THROW(RecordThroughputChange(&c, 10, 10, 9, 10, t0 + 10, "table"), ApiError);
  EXPECT_EQ(c.DecreasesOn(t0 + 10), 4u);
  RecordThroughputChange(&c, 10, 10, 20, 20, t0 + 11, "table");       // increases are unlimited
  RecordThroughputChange(&c, 10, 10, 9, 10, t0 + 4 + hour, "table");  // an hour later: one more
  EXPECT_EQ(c.DecreasesOn(t0 + 4 + hour), 5u);
  EXPECT_EQ(c.DecreasesOn(t0 + day), 0u);  // a new UTC day
  RecordThroughputChange(&c, 10, 10, 9, 10, t0 + day, "table");
  EXPECT_EQ(c.DecreasesOn(t0 + day), 1u);
}

TEST(CapacityLimiterTest, AutoscalingTag) {
  auto p = ParseAutoscalingTag("target=50 min=2 max=300");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->target, 50);
  EXPECT_EQ(p->read_min, 2u);
  EXPECT_EQ(p->write_max, 300u);
  p = ParseAutoscalingTag("write_min=5;write_max=10,read_max=7");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->write_min, 5u);
  EXPECT_EQ(p->read_max, 7u);
  EXPECT_FALSE(ParseAutoscalingTag("target=95"));
  EXPECT_FALSE(ParseAutoscalingTag("min=10 max=5"));
  EXPECT_FALSE(ParseAutoscalingTag("speed=3"));
  EXPECT_FALSE(ParseAutoscalingTag("target=abc"));
  EXPECT_FALSE(ParseAutoscalingTag("target"));
}

}  // namespace
}  // namespace meridian::api
