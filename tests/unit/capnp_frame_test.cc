// schemas/capnp_frame.h: packed one-segment writing, reading packed and flat (legacy)
// values at any alignment, and garbage in every shape coming back as Corruption.
#include "schemas/capnp_frame.h"

#include <capnp/serialize-packed.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <kj/debug.h>

#include <random>
#include <string>

#include "schemas/capnp_bytes.h"
#include "schemas/replication.capnp.h"

namespace meridian::schemas {
namespace {

constexpr uint64_t kLimit = 1 << 20;

void Fill(capnp::MessageBuilder& message, const std::string& key, const std::string& version) {
  auto rec = message.initRoot<schemas::Change>();
  rec.setOrigin(3);
  rec.setSeq(77);
  rec.setTableName("orders");
  rec.setKeySuffix(AsData(key));
  rec.setVersion(AsData(version));
}

std::string Flat(capnp::MessageBuilder& message) {
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

struct Decoded {
  uint64_t seq = 0;
  std::string table, key, version;
};

Result<Decoded> Read(std::string_view bytes) {
  return DecodeFramed<Decoded>(
      bytes, "change", kLimit, [](capnp::MessageReader& reader) -> Result<Decoded> {
        auto rec = reader.getRoot<schemas::Change>();
        return Decoded{rec.getSeq(), rec.getTableName().cStr(), FromData(rec.getKeySuffix()),
                       FromData(rec.getVersion())};
      });
}

void ExpectDecodes(std::string_view bytes, const std::string& key, const std::string& version) {
  auto got = Read(bytes);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->seq, 77u);
  EXPECT_EQ(got->table, "orders");
  EXPECT_EQ(got->key, key);
  EXPECT_EQ(got->version, version);
}

// `bytes` at an odd address, as RocksDB values and NATS payloads may be.
std::string_view Unaligned(const std::string& bytes, std::string* holder) {
  *holder = "x" + bytes;
  return std::string_view(*holder).substr(1);
}

TEST(CapnpFrame, PackedRoundTripIsSmallerAndLooksPacked) {
  capnp::MallocMessageBuilder message;
  Fill(message, "k0000042", std::string(100, 'x'));
  const std::string packed = WritePacked(message);
  const std::string flat = Flat(message);
  EXPECT_LT(packed.size(), flat.size() * 3 / 4);
  const auto first = static_cast<uint8_t>(packed[0]);
  EXPECT_NE(first, 0);
  EXPECT_EQ(first & 0x0f, 0);
  ExpectDecodes(packed, "k0000042", std::string(100, 'x'));
  std::string holder;
  ExpectDecodes(Unaligned(packed, &holder), "k0000042", std::string(100, 'x'));
  EXPECT_EQ(WritePacked(message), packed);  // deterministic
}

// Capnp's packer against this reader: blobs of zero runs, dense runs (verbatim words) and
// mixed words, of every length around the run limits.
TEST(CapnpFrame, RandomContentRoundTrips) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 500; ++i) {
    std::string blob;
    const size_t len = rng() % 5000;
    while (blob.size() < len) {
      const size_t run = 1 + rng() % 2100;
      switch (rng() % 3) {
        case 0: blob.append(run, '\0'); break;
        case 1:
          for (size_t j = 0; j < run; ++j) blob.push_back(static_cast<char>(1 + rng() % 255));
          break;
        default:
          for (size_t j = 0; j < run; ++j) blob.push_back(rng() % 2 ? '\0' : 'm');
      }
    }
    blob.resize(len);
    capnp::MallocMessageBuilder message;
    Fill(message, "k" + std::to_string(i), blob);
    ExpectDecodes(WritePacked(message), "k" + std::to_string(i), blob);
  }
}

TEST(CapnpFrame, MultiSegmentBuilderIsWrittenAsOneSegment) {
  capnp::MallocMessageBuilder message(16, capnp::AllocationStrategy::FIXED_SIZE);
  const std::string big(20000, 'b');
  Fill(message, "k1", big);
  ASSERT_GT(message.getSegmentsForOutput().size(), 1u);
  const std::string packed = WritePacked(message);
  EXPECT_EQ(static_cast<uint8_t>(packed[0]) & 0x0f, 0);  // one segment
  ExpectDecodes(packed, "k1", big);
}

TEST(CapnpFrame, ReadsFlatValuesOfEarlierVersions) {
  capnp::MallocMessageBuilder one;
  Fill(one, "k2", "v");
  std::string holder;
  ExpectDecodes(Flat(one), "k2", "v");
  ExpectDecodes(Unaligned(Flat(one), &holder), "k2", "v");

  capnp::MallocMessageBuilder several(16, capnp::AllocationStrategy::FIXED_SIZE);
  Fill(several, "k3", std::string(3000, 'c'));
  ASSERT_GT(several.getSegmentsForOutput().size(), 1u);
  ExpectDecodes(Flat(several), "k3", std::string(3000, 'c'));
  ExpectDecodes(Unaligned(Flat(several), &holder), "k3", std::string(3000, 'c'));
  EXPECT_FALSE(Read(Flat(several) + std::string(8, '\0')).ok());  // trailing word
}

TEST(CapnpFrame, EveryTruncationAndExtensionIsCorruption) {
  capnp::MallocMessageBuilder message;
  Fill(message, "k0000042", std::string(300, 'x') + std::string(300, '\0'));
  for (const std::string& bytes : {WritePacked(message), Flat(message)}) {
    for (size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_EQ(Read(bytes.substr(0, n)).status().code(), Status::Code::kCorruption) << n;
    }
    for (const std::string& tail :
         {std::string(1, '\0'), std::string(8, '\0'), std::string("\xff")}) {
      EXPECT_EQ(Read(bytes + tail).status().code(), Status::Code::kCorruption);
    }
  }
}

TEST(CapnpFrame, DeclaredSizesBeyondTheLimitOrTheInputAreRejected) {
  // Tag 0xf0: bytes 4-7 of the segment table follow: 0xffffffff words.
  auto huge = Read(std::string("\xf0\xff\xff\xff\xff", 5));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("too large"), std::string::npos);
  // Within the limit, but more words than 3 bytes can unpack to.
  EXPECT_FALSE(Read(std::string("\xf0\x00\x00\x01\x00\x00\x00\x00", 8)).ok());
  // A 4-word segment, then a zero run claiming 255 more words than the segment has.
  EXPECT_FALSE(Read(std::string("\x10\x04\x00\xff", 4)).ok());
  // A verbatim run longer than the input.
  EXPECT_FALSE(Read(std::string("\x10\x04\xff\x01\x02\x03\x04\x05\x06\x07\x08\x05", 12)).ok());
  // Flat: a segment table declaring more than there is.
  EXPECT_FALSE(Read(std::string("\x00\x00\x00\x00\x10\x00\x00\x00", 8)).ok());
}

TEST(CapnpFrame, ExceptionsFromTheReaderBecomeCorruption) {
  capnp::MallocMessageBuilder message;
  Fill(message, "k9", "v");
  const std::string packed = WritePacked(message);
  auto got = DecodeFramed<int>(packed, "change", kLimit, [](capnp::MessageReader&) -> Result<int> {
    KJ_FAIL_REQUIRE("reader gave up");
  });
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
  EXPECT_NE(got.status().message().find("reader gave up"), std::string::npos);
}

TEST(CapnpFrame, RandomBytesNeverCrash) {
  std::mt19937_64 rng(20261124);
  capnp::MallocMessageBuilder message;
  Fill(message, "k0000042", std::string(64, 'x'));
  const std::string valid = WritePacked(message);
  size_t decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes;
    if (i % 2 == 0) {
      bytes.resize(rng() % 200);
      for (auto& c : bytes) c = static_cast<char>(rng());
      if (!bytes.empty() && i % 4 == 0)
        bytes[0] = static_cast<char>((rng() % 15 + 1) << 4);  // looks packed
    } else {
      bytes = valid;  // a valid value with a few bytes flipped
      for (int flips = 1 + rng() % 3; flips > 0; --flips)
        bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    auto got = Read(bytes);
    if (got.ok()) {
      ++decoded;
    } else {
      EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
    }
  }
  EXPECT_LT(decoded, 20000u);
}

// The packer writes exactly capnp's bytes (stored records and their digests must not depend
// on which of the two packed them): random contents with runs of zeros, of dense bytes and
// of words with a single zero, in messages of many sizes, through ScratchMessage and the heap.
TEST(CapnpFrame, PacksExactlyAsCapnp) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string key(rng() % 64, '\0'), version(rng() % 5000, '\0');
    for (char& c : version) {
      switch (rng() % 4) {
        case 0: c = 0; break;
        case 1: c = static_cast<char>(rng() | 1); break;
        default: c = static_cast<char>(rng());
      }
    }
    for (char& c : key) c = static_cast<char>(rng() % 3 ? rng() : 0);
    ScratchMessage scratch;
    Fill(scratch.builder(), key, version);
    // capnp's packing of the message in one segment (WritePacked's form).
    capnp::MallocMessageBuilder one(capnp::computeSerializedSizeInWords(scratch.builder()));
    one.setRoot(scratch.builder().getRoot<schemas::Change>().asReader());
    ASSERT_EQ(one.getSegmentsForOutput().size(), 1u);
    kj::VectorOutputStream expected;
    capnp::writePackedMessage(expected, one);
    const auto want = expected.getArray();
    const std::string got = WritePacked(scratch.builder());
    ASSERT_EQ(got, std::string(reinterpret_cast<const char*>(want.begin()), want.size())) << i;
    ExpectDecodes(got, key, version);
  }
}

TEST(CapnpFrame, ScratchMessagesNestAndStayZeroed) {
  for (int round = 0; round < 3; ++round) {
    ScratchMessage outer;
    Fill(outer.builder(), "k", std::string(100, 'v'));
    {
      ScratchMessage inner;  // the thread's buffer is taken: this one is on the heap
      Fill(inner.builder(), "inner", "x");
      ExpectDecodes(WritePacked(inner.builder()), "inner", "x");
    }
    ExpectDecodes(WritePacked(outer.builder()), "k", std::string(100, 'v'));
  }
}

}  // namespace
}  // namespace meridian::schemas
