// Replicators of three regions over the in-memory transport: live convergence, partitions
// healed by fetching from the origin or through another region, garbage from peers.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

#include "peer_keys.h"
#include "replication/memory_transport.h"
#include "replication/peer_auth.h"
#include "replication/replicator.h"
#include "replication/wire.h"
#include "store/store.h"

namespace meridian::replication {
namespace {

using model::AttributeValue;
using model::Item;

struct Region {
  Region(MemoryBroker* broker, const std::string& name, conflict::RegionId id,
         uint64_t log_retention = 0, std::shared_ptr<PeerAuthenticator> auth = nullptr) {
    dir = std::filesystem::temp_directory_path() /
          ("meridian_replicator_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::remove_all(dir);
    store::StoreOptions o;
    o.path = dir.string();
    o.region = name;
    o.region_id = id;
    o.block_cache_mb = 8;
    store = std::move(store::Store::Open(o).value());
    transport = broker->Connect(name);
    if (auth) transport = NewAuthenticatedTransport(std::move(transport), std::move(auth));
    ReplicatorOptions r;
    r.cluster = "test";
    r.region_name = name;
    r.region_id = id;
    r.heartbeat = std::chrono::milliseconds(20);
    r.fetch_timeout = std::chrono::milliseconds(200);
    r.trim_interval = std::chrono::milliseconds(40);
    r.log_retention = log_retention;
    replicator = std::make_unique<Replicator>(store.get(), transport.get(), r);
    Replicator* rep = replicator.get();
    store->SetCommitListener([rep](uint64_t seq) { rep->NotifyCommitted(seq); });
    EXPECT_TRUE(replicator->Start().ok());
  }
  ~Region() {
    // As meridiand shuts down: the stopped replicator outlives the store, whose commits
    // (its threads' last ones, the store's final one) still notify it.
    replicator->Stop();
    store.reset();
    replicator.reset();
    transport.reset();
    std::filesystem::remove_all(dir);
  }
  void Add(const std::string& table, const std::string& pk, const char* delta) {
    auto t = *store->GetTable(table);
    Item key{{"pk", AttributeValue::S(pk)}};
    auto d = *model::Number::Parse(delta);
    ASSERT_TRUE(
        store
            ->WriteItem(*t, key.at("pk"), nullptr,
                        [&](const Item* cur) -> Result<store::Mutation> {
                          Item next = cur ? *cur : key;
                          auto it = next.find("n");
                          next["n"] = AttributeValue::N(
                              *(it == next.end() ? model::Number() : it->second.n()).Add(d));
                          return store::Mutation{store::Mutation::Kind::kUpdate,
                                                 next,
                                                 {conflict::AttributeOp::CounterAdd("n", d)},
                                                 key};
                        })
            .ok());
  }
  std::string Value(const std::string& table, const std::string& pk) {
    auto t = store->GetTable(table);
    if (!t.ok()) return "<no table>";
    auto item = *store->GetItem(**t, AttributeValue::S(pk), nullptr);
    return item ? item->at("n").n().ToString() : "<absent>";
  }
  // How many of `origin`'s log records from `from` on this region still holds.
  size_t LogRecords(conflict::RegionId origin, uint64_t from) {
    std::vector<std::string> out;
    EXPECT_TRUE(store->ReadLog(origin, from, 100000, 1 << 30, &out).ok());
    return out.size();
  }
  void CreateGlobalTable(const std::string& name) {
    store::TableInfo info;
    info.name = name;
    info.partition_key = {"pk", store::KeyType::kS};
    info.all_regions = true;
    info.conflict_policy = conflict::ConflictPolicy::kMerge;
    ASSERT_TRUE(store->CreateTable(info).ok());
  }
  uint64_t Digest(const std::string& table) {
    auto t = store->GetTable(table);
    return t.ok() ? store->Digest(**t)->hash : 0;
  }

  std::filesystem::path dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<Transport> transport;
  std::unique_ptr<Replicator> replicator;
};

// Polls until `done` or ~10 s.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

TEST(ReplicatorTest, ThreeRegionsConvergeThroughPartitions) {
  MemoryBroker broker;
  Region a(&broker, "a", 1), b(&broker, "b", 2), c(&broker, "c", 3);
  store::TableInfo info;
  info.name = "t";
  info.partition_key = {"pk", store::KeyType::kS};
  info.all_regions = true;  // --global-tables
  info.conflict_policy = conflict::ConflictPolicy::kMerge;
  ASSERT_TRUE(a.store->CreateTable(info).ok());
  ASSERT_TRUE(
      Eventually([&] { return b.store->GetTable("t").ok() && c.store->GetTable("t").ok(); }));

  for (int i = 0; i < 50; ++i) {
    a.Add("t", "k", "1");
    b.Add("t", "k", "10");
    c.Add("t", "k", "100");
  }
  ASSERT_TRUE(Eventually([&] {
    return a.Value("t", "k") == "5550" && b.Value("t", "k") == "5550" &&
           c.Value("t", "k") == "5550";
  })) << a.Value("t", "k")
      << " " << b.Value("t", "k") << " " << c.Value("t", "k");

  // A is cut off from C; C still hears A's changes through B's log (relay by fetch).
  broker.SetLink("a", "c", false);
  for (int i = 0; i < 20; ++i) a.Add("t", "k", "1");
  ASSERT_TRUE(Eventually([&] { return c.Value("t", "k") == "5570"; })) << c.Value("t", "k");

  // A is cut off from everyone and keeps writing; so do the others.
  broker.SetLink("a", "b", false);
  for (int i = 0; i < 20; ++i) {
    a.Add("t", "k", "1");
    b.Add("t", "k", "10");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_NE(a.Value("t", "k"), b.Value("t", "k"));
  broker.SetLink("a", "b", true);
  broker.SetLink("a", "c", true);
  ASSERT_TRUE(Eventually([&] {
    return a.Value("t", "k") == "5790" && b.Value("t", "k") == "5790" &&
           c.Value("t", "k") == "5790";
  })) << a.Value("t", "k")
      << " " << b.Value("t", "k") << " " << c.Value("t", "k");
  ASSERT_TRUE(
      Eventually([&] { return a.Digest("t") == b.Digest("t") && b.Digest("t") == c.Digest("t"); }));

  auto peers = a.replicator->Peers();
  ASSERT_EQ(peers.size(), 2u);
  for (const auto& p : peers) {
    EXPECT_TRUE(p.connected);
    EXPECT_EQ(p.applied_seq, p.head_seq);
  }
}

// Two regions whose every change depends on the other's previous one; a third catches up
// on both logs at once. Applying one origin at a time could take one change per run.
TEST(ReplicatorTest, CatchUpInterleavesMutuallyDependentOrigins) {
  MemoryBroker broker;
  Region a(&broker, "a", 1), b(&broker, "b", 2), c(&broker, "c", 3);
  a.CreateGlobalTable("t");
  ASSERT_TRUE(
      Eventually([&] { return b.store->GetTable("t").ok() && c.store->GetTable("t").ok(); }));
  broker.SetLink("a", "c", false);
  broker.SetLink("b", "c", false);
  constexpr int kRounds = 100;
  for (int i = 1; i <= kRounds; ++i) {
    a.Add("t", "k", "1");
    ASSERT_TRUE(Eventually([&] { return b.Value("t", "k") == std::to_string(11 * i - 10); }));
    b.Add("t", "k", "10");
    ASSERT_TRUE(Eventually([&] { return a.Value("t", "k") == std::to_string(11 * i); }));
  }
  const uint64_t runs_before = c.replicator->counters().apply_runs;
  broker.SetLink("a", "c", true);
  broker.SetLink("b", "c", true);
  ASSERT_TRUE(Eventually([&] { return c.Value("t", "k") == std::to_string(11 * kRounds); }))
      << c.Value("t", "k");
  const auto counters = c.replicator->counters();
  EXPECT_GE(counters.changes_applied, 2u * kRounds);
  // 200 changes in strictly alternating dependency order: a handful of runs, not ~200.
  EXPECT_LE(counters.apply_runs - runs_before, 20u);
  EXPECT_EQ(c.Digest("t"), a.Digest("t"));
}

TEST(ReplicatorTest, GarbageFromPeersIsCountedNotApplied) {
  MemoryBroker broker;
  Region a(&broker, "a", 1);
  auto rogue = broker.Connect("rogue");
  ASSERT_TRUE(rogue->Publish("meridian.test.changes.rogue", "not capnp at all").ok());
  ASSERT_TRUE(rogue->Publish("meridian.test.changes.rogue", std::string(64, '\0')).ok());
  ASSERT_TRUE(rogue->Publish("meridian.test.heartbeat.rogue", std::string(24, '\xff')).ok());
  auto reply = rogue->Request("meridian.test.fetch.a", "garbage!", std::chrono::milliseconds(100));
  EXPECT_FALSE(reply.ok());
  broker.Drain();
  EXPECT_TRUE(Eventually([&] { return a.replicator->counters().rejected_messages >= 3; }))
      << a.replicator->counters().rejected_messages;
  EXPECT_EQ(a.replicator->counters().changes_applied, 0u);
  rogue.reset();
}

// Signed regions converge; a process without a configured key, or a configured region that
// claims to be another, changes nothing and is counted.
TEST(ReplicatorTest, OnlyConfiguredRegionsAreHeard) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("meridian_replicator_keys_" + std::to_string(::getpid()));
  const auto keys = dir / "peers";
  auto load = [&](const std::string& name, conflict::RegionId id, const std::string& key) {
    auto auth = PeerAuthenticator::Load({name, id}, key, keys.string());
    EXPECT_TRUE(auth.ok()) << auth.status().message();
    return std::shared_ptr<PeerAuthenticator>(std::move(auth).value());
  };
  auto a_auth = load("a", 1, testing::WritePeerKey(dir, keys, "a"));
  auto b_auth = load("b", 2, testing::WritePeerKey(dir, keys, "b"));
  const std::string c_key = testing::WritePeerKey(dir, keys, "c");
  const std::string rogue_key = testing::WritePeerKey(dir, dir / "elsewhere", "rogue");
  MemoryBroker broker;
  Region a(&broker, "a", 1, 0, a_auth), b(&broker, "b", 2, 0, b_auth);
  a.CreateGlobalTable("t");
  ASSERT_TRUE(Eventually([&] { return b.store->GetTable("t").ok(); }));
  a.Add("t", "k", "1");
  b.Add("t", "k", "10");
  ASSERT_TRUE(Eventually([&] { return a.Value("t", "k") == "11" && b.Value("t", "k") == "11"; }))
      << a.Value("t", "k") << " " << b.Value("t", "k") << " rejected "
      << a.replicator->counters().rejected_messages << " unsigned "
      << a_auth->counters().unsigned_messages << " bad " << a_auth->counters().bad_signature
      << " applied " << a.replicator->counters().changes_applied << " imp "
      << a.replicator->counters().impersonations << " batches "
      << a.replicator->counters().batches_received << " conflict "
      << a_auth->counters().identity_conflict << " unknown " << a_auth->counters().unknown_region;

  {  // An unauthenticated region (the old protocol, or a process with no key) is not heard.
    MemoryBroker* shared = &broker;
    Region plain(shared, "x", 7);
    plain.CreateGlobalTable("plain_table");
    plain.Add("plain_table", "k", "5");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(a.store->GetTable("plain_table").ok());
    EXPECT_GT(a_auth->counters().unsigned_messages, 0u);
  }
  {  // A signed region whose key a and b were not given: unknown, never applied.
    auto rogue_auth =
        PeerAuthenticator::Load({"rogue", 9}, rogue_key, (dir / "elsewhere").string());
    ASSERT_TRUE(rogue_auth.ok());
    Region rogue(&broker, "rogue", 9, 0, std::move(rogue_auth).value());
    rogue.CreateGlobalTable("rogue_table");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(a.store->GetTable("rogue_table").ok());
    EXPECT_GT(a_auth->counters().unknown_region, 0u);
  }
  {  // c holds a configured key but claims region 2 (b) in its messages.
    Region c(&broker, "c", 2, 0, load("c", 2, c_key));
    c.CreateGlobalTable("spoofed");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(a.store->GetTable("spoofed").ok());
    const auto rejected =
        a_auth->counters().identity_conflict + a.replicator->counters().impersonations;
    EXPECT_GT(rejected, 0u);
  }
  a.Add("t", "k", "100");  // a and b still replicate
  EXPECT_TRUE(Eventually([&] { return b.Value("t", "k") == "111"; }));
  std::filesystem::remove_all(dir);
}

TEST(ReplicatorTest, SnapshotAndDigestRequestsSurviveGarbage) {
  MemoryBroker broker;
  Region a(&broker, "a", 1);
  a.CreateGlobalTable("t");
  auto rogue = broker.Connect("rogue");
  const auto before = a.replicator->counters().rejected_messages;
  for (const char* subject : {"meridian.test.snapshot.a", "meridian.test.digest.a"}) {
    EXPECT_FALSE(rogue->Request(subject, "garbage!", std::chrono::milliseconds(100)).ok());
    EXPECT_FALSE(
        rogue->Request(subject, std::string(64, '\xff'), std::chrono::milliseconds(100)).ok());
  }
  // Well-formed requests for tables that do not exist get "not found" answers.
  auto snap = rogue->Request("meridian.test.snapshot.a",
                             EncodeSnapshotRequest({9, "nope", "", 1024, "", false}),
                             std::chrono::milliseconds(500));
  ASSERT_TRUE(snap.ok());
  EXPECT_FALSE(DecodeSnapshotChunk(*snap)->found);
  auto digest = rogue->Request("meridian.test.digest.a", EncodeDigestRequest({9, "t"}),
                               std::chrono::milliseconds(500));
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(DecodeDigestReply(*digest)->buckets.size(), 256u);
  EXPECT_GE(a.replicator->counters().rejected_messages, before + 4);
  rogue.reset();
}

TEST(ReplicatorTest, WireDecodersSurviveMutatedInput) {
  std::mt19937_64 rng(7);
  SnapshotChunkMessage chunk{
      "t", true, {}, {{std::string(12, 'k'), "v1"}, {std::string(10, 'q'), "v2"}}, false};
  DigestReplyMessage digest{"t", true, {}, std::vector<uint64_t>(256, 42)};
  const std::vector<std::string> seeds = {
      EncodeSnapshotRequest({1, "t", "after", 4096, "until", false}), EncodeSnapshotChunk(chunk),
      EncodeDigestRequest({1, "t"}), EncodeDigestReply(digest)};
  size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = seeds[i % seeds.size()];
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    if (i % 7 == 0) bytes.resize(rng() % (bytes.size() + 1));
    accepted += DecodeSnapshotRequest(bytes).ok() + DecodeSnapshotChunk(bytes).ok() +
                DecodeDigestRequest(bytes).ok() + DecodeDigestReply(bytes).ok();
  }
  EXPECT_GT(accepted, 0u);  // mutations that stay well-formed are fine; none may crash
}

TEST(ReplicatorTest, LogIsTrimmedOnlyOnceEveryRegionHasApplied) {
  MemoryBroker broker;
  Region a(&broker, "a", 1), b(&broker, "b", 2), c(&broker, "c", 3);
  a.CreateGlobalTable("t");
  for (int i = 0; i < 100; ++i) a.Add("t", "k" + std::to_string(i % 7), "1");
  ASSERT_TRUE(Eventually([&] { return b.Value("t", "k0") == "15" && c.Value("t", "k0") == "15"; }));
  // Records 1..101 (the table and 100 writes) reached everyone: every region drops them.
  EXPECT_TRUE(Eventually([&] {
    return a.LogRecords(1, 1) == 0 && b.LogRecords(1, 1) == 0 && c.LogRecords(1, 1) == 0;
  }));

  // c is cut off: what it has not applied stays in a's and b's logs.
  broker.SetLink("a", "c", false);
  broker.SetLink("b", "c", false);
  for (int i = 0; i < 50; ++i) a.Add("t", "k0", "1");
  ASSERT_TRUE(Eventually([&] { return b.Value("t", "k0") == "65"; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // ten trim intervals
  EXPECT_EQ(a.LogRecords(1, 102), 50u);
  EXPECT_EQ(b.LogRecords(1, 102), 50u);

  // Healed: c catches up from the retained records, then they go too.
  broker.SetLink("a", "c", true);
  broker.SetLink("b", "c", true);
  ASSERT_TRUE(Eventually([&] { return c.Value("t", "k0") == "65"; }));
  EXPECT_TRUE(Eventually([&] { return a.LogRecords(1, 1) == 0 && b.LogRecords(1, 1) == 0; }));
}

TEST(ReplicatorTest, ARegionBeyondTheRetainedLogReBootstrapsFromASnapshot) {
  MemoryBroker broker;
  Region a(&broker, "a", 1, /*log_retention=*/20), b(&broker, "b", 2, 20);
  a.CreateGlobalTable("t");
  ASSERT_TRUE(Eventually([&] { return b.store->GetTable("t").ok(); }));
  broker.SetLink("a", "b", false);
  for (int i = 0; i < 60; ++i) a.Add("t", "k", "1");
  // b is away: a keeps only its last 20 records (seq 42..61) of the 61 it wrote.
  // (ReadLog returns only a consecutive run from its start: 0 from seq 41 = it is gone.)
  EXPECT_TRUE(Eventually([&] { return a.LogRecords(1, 41) == 0 && a.LogRecords(1, 42) == 20; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // five more trim intervals
  EXPECT_EQ(a.LogRecords(1, 42), 20u);

  // Healed: what b misses is gone from every log, so it re-bootstraps from a's snapshot
  // and then follows the log again.
  broker.SetLink("a", "b", true);
  ASSERT_TRUE(Eventually([&] { return b.Value("t", "k") == "60"; }));
  EXPECT_EQ(b.replicator->counters().rebootstraps, 1u);
  EXPECT_EQ(b.store->AppliedVector().Get(1), a.store->committed_seq());
  for (int i = 0; i < 5; ++i) a.Add("t", "k", "1");
  ASSERT_TRUE(Eventually([&] { return b.Value("t", "k") == "65"; }));
  EXPECT_EQ(a.Digest("t"), b.Digest("t"));
}

}  // namespace
}  // namespace meridian::replication
