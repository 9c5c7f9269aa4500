// Content codings of the DynamoDB endpoint: Accept-Encoding negotiation (the table DynamoDB's
// endpoint answers, as alternator's test_compressed_response.py records it), request-body
// decoding with bounded memory, and garbage that must never crash the decoder.
#include "daemon/http_encoding.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>

namespace meridian::daemon {
namespace {

std::string Name(std::optional<ContentCoding> c) {
  return c ? std::string(ContentCodingName(*c)) : "none";
}

TEST(AcceptEncoding, NegotiatesAsDynamoDB) {
  const std::pair<const char*, const char*> cases[] = {
      {"identity", "none"},
      {"", "none"},
      {"br", "none"},
      {"zstd", "none"},
      {"compress", "none"},
      {"x-gzip", "none"},
      {"gzip, deflate", "gzip"},
      {"br, identity, deflate, gzip", "deflate"},
      {"GZIP, identity", "gzip"},
      {"dog, gzip ,, cat", "gzip"},
      {"gzip;q=0.8, deflate;q=0.5", "gzip"},
      {"br, gzip;q=0, deflate; q = 0.5 , identity;q=0", "deflate"},
      {"*", "gzip"},
      {"*, deflate;q=0.5", "gzip"},
      {"*, deflate", "deflate"},
      {"*, identity", "gzip"},
      {"*, gzip;q=0.5", "deflate"},
      {"gzip ;q=0", "none"},
      {"identity;q=0", "none"},
      {"*;q=0", "none"},
      {"*;q=0.5,identity", "gzip"},
      {"gzip;q=0.5,identity;q=0.8", "gzip"},
      {"br;q=0.8,identity;q=0.5,*;q=0", "none"},
      {"\"gzip\"", "none"},
      {"gzip br", "none"},
      {"gzip:q=1", "none"},
      {"deflate;q=0.5, gzip;q=31", "gzip"},
      {"gzip;q=31,deflate;q=51", "gzip"},
      {"deflate;q=0.5, gzip;q=0.2", "deflate"},
      {"deflate;q=0.5, gzip;q=1;q=0.2", "gzip"},
      {"deflate;q=0.5,gzip;q=0.", "deflate"},
      {"deflate;q=0.5,gzip;q=0.x", "gzip"},
      {"deflate;q=-0.5,gzip;q=0.2", "gzip"},
      {"gzip;nq=1;q=0 ", "none"},
      {"gzip;q=0, gzip;q=1, gzip;q=0", "gzip"},
      {"br,identity;q=0.5,gzip;q=0.0001", "gzip"},
  };
  for (const auto& [header, want] : cases) {
    EXPECT_EQ(Name(NegotiateResponseCoding(header)), want) << "Accept-Encoding: " << header;
  }
}

std::string Gzip(std::string_view s) { return Compress(ContentCoding::kGzip, s); }

TEST(RequestBody, DecodesGzipDeflateAndChains) {
  const std::string json = R"({"TableName":"t","Item":{"p":{"S":"x"}}})";
  EXPECT_EQ(DecodeRequestBody("gzip", Gzip(json), 1 << 20).body, json);
  EXPECT_EQ(DecodeRequestBody("deflate", Compress(ContentCoding::kDeflate, json), 1 << 20).body,
            json);
  EXPECT_EQ(DecodeRequestBody("identity", json, 1 << 20).body, json);
  EXPECT_EQ(DecodeRequestBody("gzip", Gzip(json.substr(0, 7)) + Gzip(json.substr(7)), 1 << 20).body,
            json);
  const std::string chained = Compress(ContentCoding::kDeflate, Gzip(json));
  EXPECT_EQ(DecodeRequestBody("gzip, deflate", chained, 1 << 20).body, json);
  // Raw deflate (no zlib header), as some clients send for "deflate".
  z_stream z{};
  ASSERT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string raw(256, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(json.data()));
  z.avail_in = static_cast<uInt>(json.size());
  z.next_out = reinterpret_cast<Bytef*>(raw.data());
  z.avail_out = static_cast<uInt>(raw.size());
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  raw.resize(z.total_out);
  deflateEnd(&z);
  EXPECT_EQ(DecodeRequestBody("deflate", raw, 1 << 20).body, json);
}

TEST(RequestBody, RefusesBrokenUnknownAndOversized) {
  const std::string json(1000, 'a');
  const std::string gz = Gzip(json);
  EXPECT_EQ(DecodeRequestBody("gzip", gz.substr(0, gz.size() - 1), 1 << 20).error,
            DecodeError::kMalformed);
  EXPECT_EQ(DecodeRequestBody("gzip", gz + "junk", 1 << 20).error, DecodeError::kMalformed);
  EXPECT_EQ(DecodeRequestBody("gzip", json, 1 << 20).error, DecodeError::kMalformed);
  EXPECT_EQ(DecodeRequestBody("gzip", "", 1 << 20).error, DecodeError::kMalformed);
  EXPECT_EQ(DecodeRequestBody("br", json, 1 << 20).error, DecodeError::kUnsupportedCoding);
  EXPECT_EQ(DecodeRequestBody("gzip, br", gz, 1 << 20).error, DecodeError::kUnsupportedCoding);
  EXPECT_EQ(DecodeRequestBody("gzip", gz, 999).error, DecodeError::kTooLarge);
  EXPECT_EQ(DecodeRequestBody("gzip", gz, 1000).body, json);
  // A bomb: 64 MiB of zeros in ~64 KB, refused at the limit, never inflated whole.
  const std::string bomb = Gzip(std::string(64 << 20, '\0'));
  ASSERT_LT(bomb.size(), 128u << 10);
  EXPECT_EQ(DecodeRequestBody("gzip", bomb, 16 << 20).error, DecodeError::kTooLarge);
}

TEST(RequestBody, GarbageNeverCrashes) {
  std::mt19937_64 rng(20261207);
  const std::string json = R"({"TableName":"table","Item":{"p":{"S":"value"}}})";
  const std::string valid[] = {Gzip(json), Compress(ContentCoding::kDeflate, json)};
  for (int i = 0; i < 20000; ++i) {
    std::string body = valid[i % 2];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0: body[at] = static_cast<char>(rng()); break;
        case 1: body.erase(at, 1 + rng() % 8); break;
        default: body.insert(at, 1 + rng() % 8, static_cast<char>(rng())); break;
      }
    }
    if (i % 7 == 0) body.resize(rng() % 64);
    const DecodeResult r = DecodeRequestBody(i % 2 ? "deflate" : "gzip", body, 4096);
    EXPECT_TRUE(r.error || r.body.size() <= 4096);
  }
}

TEST(Crc32, MatchesZlib) {
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);  // the CRC-32 check value
}

}  // namespace
}  // namespace meridian::daemon
