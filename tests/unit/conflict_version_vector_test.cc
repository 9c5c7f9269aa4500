#include "conflict/version_vector.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <vector>

namespace meridian::conflict {
namespace {

VersionVector V(std::vector<VersionVector::Entry> entries) {
  return VersionVector::FromEntries(std::move(entries));
}

TEST(VersionVector, FromEntriesSortsDropsZerosKeepsMax) {
  VersionVector v = V({{3, 1}, {1, 5}, {2, 0}, {1, 7}});
  EXPECT_EQ(v.ToString(), "{1:7,3:1}");
  EXPECT_EQ(v.Get(1), 7u);
  EXPECT_EQ(v.Get(2), 0u);
  EXPECT_TRUE(v.Covers(Dot{1, 7}));
  EXPECT_FALSE(v.Covers(Dot{1, 8}));
  EXPECT_FALSE(v.Covers(Dot{2, 1}));
  EXPECT_TRUE(v.Covers(Dot{}));
}

TEST(VersionVector, CompareAllFourRelations) {
  EXPECT_EQ(V({{1, 2}}).Compare(V({{1, 2}})), CausalOrder::kEqual);
  EXPECT_EQ(VersionVector().Compare(VersionVector()), CausalOrder::kEqual);
  EXPECT_EQ(V({{1, 1}}).Compare(V({{1, 2}})), CausalOrder::kBefore);
  EXPECT_EQ(V({{1, 2}}).Compare(V({{1, 2}, {2, 1}})), CausalOrder::kBefore);
  EXPECT_EQ(V({{1, 3}, {2, 1}}).Compare(V({{1, 2}})), CausalOrder::kAfter);
  EXPECT_EQ(V({{1, 3}}).Compare(V({{2, 1}})), CausalOrder::kConcurrent);
  EXPECT_EQ(V({{1, 3}, {2, 1}}).Compare(V({{1, 2}, {2, 2}})), CausalOrder::kConcurrent);
  EXPECT_TRUE(VersionVector().LessOrEqual(V({{1, 1}})));
  EXPECT_FALSE(V({{1, 1}}).LessOrEqual(VersionVector()));
  EXPECT_STREQ(CausalOrderName(CausalOrder::kConcurrent), "concurrent");
}

TEST(VersionVector, JoinIncrementAndAdd) {
  VersionVector v = V({{1, 3}, {3, 1}});
  v.Join(V({{1, 2}, {2, 4}}));
  EXPECT_EQ(v.ToString(), "{1:3,2:4,3:1}");
  EXPECT_EQ(v.Increment(2), (Dot{2, 5}));
  EXPECT_EQ(v.Increment(9), (Dot{9, 1}));
  v.Add(Dot{1, 2});  // older: no-op
  v.Add(Dot{1, 10});
  EXPECT_EQ(v.ToString(), "{1:10,2:5,3:1,9:1}");
}

TEST(VersionVector, CompactEncodingOfThreeRegionsIsAbout20Bytes) {
  // Three regions, each ~10 billion writes into its change log.
  const VersionVector v = V({{1, 10'000'000'000}, {2, 9'000'000'000}, {7, 12'345'678'901}});
  const std::string bytes = v.EncodeCompact();
  EXPECT_LE(bytes.size(), 20u);
  std::string_view in = bytes;
  Result<VersionVector> back = VersionVector::DecodeCompact(&in);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, v);
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(V({{1, 5}, {2, 9}, {3, 100}}).EncodeCompact().size(), 7u);  // 1 + 3 x (1 + 1)
}

TEST(VersionVector, CompactDecodingRejectsCorruption) {
  auto decode = [](const std::string& bytes) {
    std::string_view in = bytes;
    return VersionVector::DecodeCompact(&in).status().code();
  };
  const auto kCorruption = Status::Code::kCorruption;
  EXPECT_EQ(decode(""), kCorruption);
  EXPECT_EQ(decode(std::string("\x02\x01\x05", 3)), kCorruption);                  // truncated
  EXPECT_EQ(decode(std::string("\x01\x01\x00", 3)), kCorruption);                  // zero seq
  EXPECT_EQ(decode(std::string("\x02\x01\x01\x00\x01", 5)), kCorruption);          // region twice
  EXPECT_EQ(decode(std::string("\x7f\x01\x01", 3)), kCorruption);                  // count too big
  EXPECT_EQ(decode(std::string("\x01\x80\x80\x80\x80\x10\x01", 7)), kCorruption);  // region > 2^32
  EXPECT_EQ(decode(std::string("\x01\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 12)),
            kCorruption);  // varint > 64 bits
}

rc::Gen<VersionVector> GenVector() {
  return rc::gen::map(
      rc::gen::container<std::vector<std::pair<uint32_t, uint64_t>>>(rc::gen::pair(
          rc::gen::inRange<uint32_t>(0, 6), rc::gen::inRange<uint64_t>(0, 1'000'000'000'000))),
      [](const std::vector<std::pair<uint32_t, uint64_t>>& raw) {
        std::vector<VersionVector::Entry> entries;
        entries.reserve(raw.size());
        for (const auto& [r, s] : raw) entries.push_back({r, s % 3 == 0 ? s % 5 : s});
        return VersionVector::FromEntries(std::move(entries));
      });
}

RC_GTEST_PROP(VersionVectorProperty, JoinIsALatticeJoinConsistentWithCompare, ()) {
  const VersionVector a = *GenVector();
  const VersionVector b = *GenVector();
  const VersionVector c = *GenVector();
  VersionVector ab = a, ba = b, abc1 = a, bc = b;
  ab.Join(b);
  ba.Join(a);
  RC_ASSERT(ab == ba);
  abc1.Join(b);
  abc1.Join(c);
  bc.Join(c);
  VersionVector abc2 = a;
  abc2.Join(bc);
  RC_ASSERT(abc1 == abc2);
  VersionVector aa = a;
  aa.Join(a);
  RC_ASSERT(aa == a);
  RC_ASSERT(a.LessOrEqual(ab) && b.LessOrEqual(ab));
  const CausalOrder order = a.Compare(b);
  RC_ASSERT((order == CausalOrder::kEqual) == (a == b));
  RC_ASSERT((order == CausalOrder::kBefore || order == CausalOrder::kEqual) == (ab == b));
  RC_ASSERT((order == CausalOrder::kAfter || order == CausalOrder::kEqual) == (ab == a));
  RC_ASSERT(b.Compare(a) == (order == CausalOrder::kBefore  ? CausalOrder::kAfter
                             : order == CausalOrder::kAfter ? CausalOrder::kBefore
                                                            : order));
}

RC_GTEST_PROP(VersionVectorProperty, CompactEncodingRoundTrips, ()) {
  const VersionVector a = *GenVector();
  const VersionVector b = *GenVector();
  std::string bytes;
  a.EncodeCompact(&bytes);
  b.EncodeCompact(&bytes);  // back to back: each decode consumes exactly its own bytes
  std::string_view in = bytes;
  Result<VersionVector> da = VersionVector::DecodeCompact(&in);
  Result<VersionVector> db = VersionVector::DecodeCompact(&in);
  RC_ASSERT(da.ok() && db.ok());
  RC_ASSERT(*da == a);
  RC_ASSERT(*db == b);
  RC_ASSERT(in.empty());
}

}  // namespace
}  // namespace meridian::conflict
