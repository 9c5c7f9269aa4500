#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "conflict/version_capnp.h"
#include "conflict/version_codec.h"
#include "conflict_history.h"
#include "conflict_two_regions.h"

namespace meridian::conflict::testing {
namespace {

using Op = AttributeOp;

// A merge-policy version using every part of the CRDT state.
ItemVersion RichVersion() {
  Regions r(ConflictPolicy::kMerge, 2);
  r.Put(0,
        {{"name", S("lamp")},
         {"tags", SS({"a", "b"})},
         {"nums", NS({"1", "2.5"})},
         {"blob", AttributeValue::BS({"\x01\x02", std::string("\0", 1)})},
         {"m", AttributeValue::M({{"x", AttributeValue::L({N("1"), AttributeValue::Null()})}})}},
        1000);
  r.Update(0, {Op::CounterAdd("views", Num("1.5"))}, 2000);
  r.Update(1, {Op::CounterAdd("views", Num("-1E-100")), Op::SetAdd("tags", SS({"c"}))}, 2000);
  r.Update(1, {Op::Set("name", S("bulb"))}, 2001);
  r.Sync();
  r.Update(0, {Op::Set("views", N("3"))}, 3000);
  return r[0].version;
}

TEST(VersionCodec, RoundTripsEveryPartOfTheState) {
  const ItemVersion v = RichVersion();
  const std::string bytes = EncodeItemVersion(v);
  Result<ItemVersion> back = DecodeItemVersion(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, v);
  EXPECT_EQ(EncodeItemVersion(*back), bytes);
  EXPECT_EQ(Materialize(*back), Materialize(v));
}

TEST(VersionCodec, RoundTripsLwwUnwrittenAndTombstones) {
  Regions r(ConflictPolicy::kLww, 1);
  r.Put(0, {{"a", N("1")}}, 1000);
  for (const ItemVersion& v : {ItemVersion(), r[0].version, r.Delete(0, 2000)}) {
    Result<ItemVersion> back = DecodeItemVersion(EncodeItemVersion(v));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, v);
  }
}

// DynamoDB accepts documents 32 levels deep (31 nested maps or lists); the stored version,
// under both policies, must read back (Cap'n Proto's default nesting limit of 64 pointers
// did not).
TEST(VersionCodec, RoundTripsTheDeepestDocumentDynamoDBAccepts) {
  AttributeValue deep = AttributeValue::M({});
  for (int i = 1; i < 31; ++i) {
    deep = i % 2 ? AttributeValue::M({{"a", deep}}) : AttributeValue::L({deep});
  }
  for (ConflictPolicy policy : {ConflictPolicy::kLww, ConflictPolicy::kMerge}) {
    Regions r(policy, 1);
    r.Put(0, {{"doc", deep}}, 1000);
    Result<ItemVersion> back = DecodeItemVersion(EncodeItemVersion(r[0].version));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, r[0].version);
  }
}

TEST(VersionCodec, AcceptsUnalignedInput) {
  const std::string bytes = EncodeItemVersion(RichVersion());
  std::string shifted = "x" + bytes;
  Result<ItemVersion> back = DecodeItemVersion(std::string_view(shifted).substr(1));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(EncodeItemVersion(*back), bytes);
}

TEST(VersionCodec, MalformedBytesAreCorruption) {
  const std::string bytes = EncodeItemVersion(RichVersion());
  const auto kCorruption = Status::Code::kCorruption;
  EXPECT_EQ(DecodeItemVersion("").status().code(), kCorruption);
  EXPECT_EQ(DecodeItemVersion("abc").status().code(), kCorruption);
  EXPECT_EQ(DecodeItemVersion(bytes.substr(0, bytes.size() - 8)).status().code(), kCorruption);
  EXPECT_EQ(DecodeItemVersion(bytes + std::string(8, '\0')).status().code(), kCorruption);
  EXPECT_EQ(DecodeItemVersion(std::string(64, '\xff')).status().code(), kCorruption);
}

// Builds a message by hand to break one invariant at a time.
std::string Encode(const std::function<void(schemas::ItemVersion::Builder)>& fill) {
  capnp::MallocMessageBuilder message;
  fill(message.initRoot<schemas::ItemVersion>());
  auto words = capnp::messageToFlatArray(message);
  auto b = words.asBytes();
  return std::string(reinterpret_cast<const char*>(b.begin()), b.size());
}

TEST(VersionCodec, BrokenInvariantsAreCorruption) {
  const ItemVersion rich = RichVersion();
  auto with = [&](const std::function<void(schemas::ItemVersion::Builder)>& breakit) {
    return DecodeItemVersion(Encode([&](schemas::ItemVersion::Builder b) {
             WriteItemVersion(rich, b);
             breakit(b);
           }))
        .status();
  };
  EXPECT_TRUE(with([](auto) {}).ok());
  EXPECT_EQ(with([](auto b) { b.setSeq(1000); }).code(), Status::Code::kCorruption);
  EXPECT_EQ(with([](auto b) { b.getVector().getEntries()[0].setSeq(0); }).code(),
            Status::Code::kCorruption);
  EXPECT_EQ(with([](auto b) { b.getVector().getEntries()[1].setRegion(1); }).code(),
            Status::Code::kCorruption);
  EXPECT_EQ(with([](auto b) { b.getAttributes()[0].setName("zzz"); }).code(),
            Status::Code::kCorruption);
  EXPECT_EQ(with([](auto b) { b.getAttributes()[0].getRegisters()[0].setSeq(99); }).code(),
            Status::Code::kCorruption);
  EXPECT_EQ(with([](auto b) { b.initItem(1)[0].setName("a"); }).code(), Status::Code::kCorruption);
  EXPECT_EQ(with([](auto b) { b.setPolicy(static_cast<schemas::ConflictPolicy>(7)); }).code(),
            Status::Code::kCorruption);
  EXPECT_EQ(with([](auto b) {
              for (auto a : b.getAttributes()) {
                if (a.getCounters().size() > 0) a.getCounters()[0].setTotal("1.5");
              }
            }).code(),
            Status::Code::kCorruption);
  EXPECT_EQ(with([](auto b) {
              for (auto a : b.getAttributes()) {
                if (a.getElements().size() > 1) a.getElements()[1].setS("");
              }
            }).code(),
            Status::Code::kCorruption);
}

TEST(VersionCodec, EmbedsInALargerMessage) {
  const ItemVersion v = RichVersion();
  capnp::MallocMessageBuilder message;
  WriteItemVersion(v, message.initRoot<schemas::ItemVersion>());
  Result<ItemVersion> back = ReadItemVersion(message.getRoot<schemas::ItemVersion>().asReader());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
}

TEST(ConflictRecordCodec, RoundTrips) {
  Regions r(ConflictPolicy::kMerge, 2);
  r.Put(0, {{"v", N("1")}}, 1000);
  r.Sync();
  r.Update(0, {Op::CounterAdd("v", Num("1"))}, 2000);
  r.Update(1, {Op::Set("w", S("x"))}, 2000);
  std::vector<ConflictRecord> records = r.Sync();
  ASSERT_FALSE(records.empty());
  const std::string bytes = EncodeConflictRecord(records[0]);
  Result<ConflictRecord> back = DecodeConflictRecord(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, records[0]);
  EXPECT_EQ(back->ToString(), records[0].ToString());
  EXPECT_NE(records[0].ToString().find("merge rule=merge_attributes winner=merged"),
            std::string::npos);
  EXPECT_EQ(DecodeConflictRecord(bytes.substr(8)).status().code(), Status::Code::kCorruption);
}

// Every version a random history produces round-trips byte for byte; damaged bytes
// decode to an error or to some valid version, never to a crash.
RC_GTEST_PROP(VersionCodecProperty, RoundTripsAndSurvivesDamage, ()) {
  const History h = DrawHistory(16);
  Cluster cluster(h.replicas, *rc::gen::element(ConflictPolicy::kLww, ConflictPolicy::kMerge),
                  h.offsets_ms);
  RunHistory(h, Profile::kFull, &cluster);
  RC_PRE(!cluster.snapshots().empty());
  const ItemVersion& v =
      cluster.snapshots()[*rc::gen::inRange<size_t>(0, cluster.snapshots().size())];
  const std::string bytes = EncodeItemVersion(v);
  Result<ItemVersion> back = DecodeItemVersion(bytes);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == v);
  std::string damaged = bytes;
  const size_t at = *rc::gen::inRange<size_t>(0, damaged.size());
  damaged[at] = static_cast<char>(damaged[at] ^ *rc::gen::inRange(1, 256));
  Result<ItemVersion> d = DecodeItemVersion(damaged);
  RC_ASSERT(d.ok() || d.status().code() == Status::Code::kCorruption);
}

}  // namespace
}  // namespace meridian::conflict::testing
