#include "model/key_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <compare>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace meridian::model {
namespace {

constexpr uint64_t kSeed = 0x4D657269;  // fixed so failures replay; printed with each failure
constexpr int kCases = 5000;

std::string Enc(const AttributeValue& v, bool terminated) {
  std::string out;
  AppendKeyValue(v, terminated, &out);
  return out;
}

// memcmp order of two byte strings (std::string compares as unsigned char).
std::strong_ordering ByteOrder(const std::string& a, const std::string& b) {
  return a.compare(b) <=> 0;
}

Number Num(const std::string& text) {
  Result<Number> r = Number::Parse(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : Number();
}

// Bytes drawn mostly from {0x00, 0x01, 'a', 0xFE, 0xFF} so escapes and near-ties are common.
std::string RandomBytes(std::mt19937_64& rng) {
  static const char kAlphabet[] = {'\x00', '\x01', 'a', '\xFE', '\xFF'};
  std::string s(rng() % 6, '\0');
  for (char& c : s) c = rng() % 4 == 0 ? static_cast<char>(rng()) : kAlphabet[rng() % 5];
  return s;
}

// Any value in DynamoDB's range: random sign, 1..38 digits, scientific exponent in
// [-130, 125] (often a small range so exponents tie), sometimes zero.
Number RandomNumber(std::mt19937_64& rng) {
  if (rng() % 10 == 0) return Number();
  int n = 1 + static_cast<int>(rng() % (rng() % 2 ? 3 : 38));
  std::string digits(n, '0');
  for (char& d : digits) d = static_cast<char>('0' + rng() % 10);
  digits[0] = static_cast<char>('1' + rng() % 9);
  int sci = rng() % 2 ? static_cast<int>(rng() % 5) - 2 : static_cast<int>(rng() % 256) - 130;
  std::string text = (rng() % 2 ? "-" : "") + digits + "E" + std::to_string(sci - n + 1);
  return Num(text);
}

// A value near `base`: truncated or with one digit bumped, to produce close calls.
Number Nearby(const Number& base, std::mt19937_64& rng) {
  if (base.is_zero()) return base;
  std::string digits = base.digits();
  int exponent = base.exponent();
  if (rng() % 2 && digits.size() > 1) {
    size_t keep = 1 + rng() % (digits.size() - 1);
    exponent += static_cast<int>(digits.size() - keep);
    digits.resize(keep);
  } else {
    char& d = digits[rng() % digits.size()];
    d = static_cast<char>('0' + (d - '0' + 1 + rng() % 9) % 10);
  }
  std::string text = (base.negative() ? "-" : "") + digits + "E" + std::to_string(exponent);
  Result<Number> r = Number::Parse(text);
  return r.ok() ? *r : base;
}

TEST(KeyCodecTest, DocumentedNumberBytes) {
  EXPECT_EQ(Enc(AttributeValue::N(Number()), false), std::string("\x01", 1));
  // 12.5 = 0.125 x 10^2 -> 0x02, 0x8002, digits+1, 0x00
  EXPECT_EQ(Enc(AttributeValue::N(Num("12.5")), false),
            std::string("\x02\x80\x02\x02\x03\x06\x00", 7));
  EXPECT_EQ(Enc(AttributeValue::N(Num("-12.5")), true),
            std::string("\x00\xFD\x7F\xFD\xFD\xFC\xF9\xFF", 8));
  // N is self-delimiting: terminated changes nothing.
  EXPECT_EQ(Enc(AttributeValue::N(Num("7")), true), Enc(AttributeValue::N(Num("7")), false));
}

TEST(KeyCodecTest, DocumentedByteStringBytes) {
  AttributeValue s = AttributeValue::S(std::string("a\x00z", 3));
  EXPECT_EQ(Enc(s, false), std::string("a\x00\xFFz", 4));
  EXPECT_EQ(Enc(s, true), std::string("a\x00\xFFz\x00\x01", 6));
  EXPECT_EQ(Enc(AttributeValue::B(""), true), std::string("\x00\x01", 2));
}

TEST(KeyCodecTest, TablePrefixAndHashLayout) {
  EXPECT_EQ(TablePrefix(0x01020304), "\x01\x02\x03\x04");
  AttributeValue pk = AttributeValue::S("user#1");
  uint64_t h = PartitionHash(pk);
  EXPECT_EQ(h, PartitionHash(AttributeValue::S("user#1")));
  EXPECT_NE(h, PartitionHash(AttributeValue::S("user#2")));
  std::string prefix = PartitionPrefix(7, pk);
  ASSERT_EQ(prefix.size(), 4 + 8 + Enc(pk, true).size());
  EXPECT_EQ(prefix.substr(0, 4), TablePrefix(7));
  uint64_t stored = 0;
  for (int i = 0; i < 8; ++i) stored = stored << 8 | static_cast<uint8_t>(prefix[4 + i]);
  EXPECT_EQ(stored, h);
  EXPECT_EQ(prefix.substr(12), Enc(pk, true));
  EXPECT_EQ(ItemKey(7, pk, nullptr), prefix);
  AttributeValue sk = AttributeValue::N(Num("42"));
  EXPECT_EQ(ItemKey(7, pk, &sk), prefix + Enc(sk, false));
}

// The core property, for one key type: byte order of encodings == value order.
template <typename Generate, typename Compare>
void CheckOrderPreserved(const char* type, Generate generate, Compare compare) {
  std::mt19937_64 rng(kSeed);
  for (int i = 0; i < kCases; ++i) {
    auto [a, b] = generate(rng);
    std::strong_ordering want = compare(a, b);
    for (bool terminated : {false, true}) {
      std::string ea = Enc(a, terminated), eb = Enc(b, terminated);
      ASSERT_EQ(ByteOrder(ea, eb), want)
          << type << " seed=" << kSeed << " case=" << i << " terminated=" << terminated;
    }
  }
}

TEST(KeyCodecTest, StringOrderPreserved) {
  auto generate = [](std::mt19937_64& rng) {
    std::string a = RandomBytes(rng);
    std::string b = rng() % 3 == 0 ? a + RandomBytes(rng) : RandomBytes(rng);
    return std::pair{AttributeValue::S(a), AttributeValue::S(b)};
  };
  CheckOrderPreserved("S", generate, [](const AttributeValue& a, const AttributeValue& b) {
    return ByteOrder(a.s(), b.s());
  });
}

TEST(KeyCodecTest, BinaryOrderPreserved) {
  auto generate = [](std::mt19937_64& rng) {
    std::string a = RandomBytes(rng);
    std::string b = rng() % 3 == 0 ? RandomBytes(rng) + a : RandomBytes(rng);
    if (rng() % 3 == 0) std::swap(a, b);
    return std::pair{AttributeValue::B(a), AttributeValue::B(b)};
  };
  CheckOrderPreserved("B", generate, [](const AttributeValue& a, const AttributeValue& b) {
    return ByteOrder(a.b(), b.b());
  });
}

TEST(KeyCodecTest, NumberOrderPreserved) {
  auto generate = [](std::mt19937_64& rng) {
    Number a = RandomNumber(rng);
    Number b = rng() % 2 ? Nearby(a, rng) : RandomNumber(rng);
    if (rng() % 16 == 0) b = a;
    return std::pair{AttributeValue::N(a), AttributeValue::N(b)};
  };
  CheckOrderPreserved("N", generate, [](const AttributeValue& a, const AttributeValue& b) {
    return a.n() <=> b.n();
  });
}

TEST(KeyCodecTest, NumberExtremesInOrder) {
  const std::vector<std::string> ascending = {"-9.9999999999999999999999999999999999999E+125",
                                              "-1E125",
                                              "-10",
                                              "-9.5",
                                              "-1",
                                              "-1E-130",
                                              "0",
                                              "1E-130",
                                              "1.0000000000000000000000000000000000001E-130",
                                              "0.1",
                                              "1",
                                              "1.5",
                                              "9",
                                              "10",
                                              "1E125",
                                              "9.9999999999999999999999999999999999999E+125"};
  for (size_t i = 0; i + 1 < ascending.size(); ++i) {
    EXPECT_LT(Enc(AttributeValue::N(Num(ascending[i])), false),
              Enc(AttributeValue::N(Num(ascending[i + 1])), false))
        << ascending[i] << " < " << ascending[i + 1];
  }
}

TEST(KeyCodecTest, TerminatedPartitionKeysArePrefixFree) {
  std::mt19937_64 rng(kSeed);
  for (int i = 0; i < kCases; ++i) {
    std::string a = RandomBytes(rng), b = a + RandomBytes(rng);
    if (a == b) continue;
    for (auto make : {&AttributeValue::S, &AttributeValue::B}) {
      std::string ea = Enc(make(a), true), eb = Enc(make(b), true);
      ASSERT_NE(eb.compare(0, ea.size(), ea), 0) << "seed=" << kSeed << " case=" << i;
    }
  }
}

// Sorting full item keys must keep each partition contiguous and, inside it, order rows by
// sort key: what Query relies on when it walks one partition.
TEST(KeyCodecTest, ItemKeysGroupByPartitionAndSortBySortKey) {
  std::mt19937_64 rng(kSeed);
  for (int round = 0; round < 50; ++round) {
    struct Row {
      std::string key;
      std::string pk;
      Number sk;
    };
    std::vector<Row> rows;
    for (int i = 0; i < 100; ++i) {
      std::string pk = RandomBytes(rng);
      Number sk = RandomNumber(rng);
      AttributeValue pk_value = AttributeValue::S(pk), sk_value = AttributeValue::N(sk);
      rows.push_back({ItemKey(3, pk_value, &sk_value), pk, sk});
    }
    std::sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) { return x.key < y.key; });
    std::vector<std::string> finished;
    for (size_t i = 0; i < rows.size(); ++i) {
      SCOPED_TRACE("seed=" + std::to_string(kSeed) + " round=" + std::to_string(round));
      ASSERT_EQ(rows[i].key.compare(0, 4, TablePrefix(3)), 0);
      ASSERT_EQ(rows[i].key.compare(0, PartitionPrefix(3, AttributeValue::S(rows[i].pk)).size(),
                                    PartitionPrefix(3, AttributeValue::S(rows[i].pk))),
                0);
      if (i > 0 && rows[i].pk == rows[i - 1].pk) {
        ASSERT_LE(rows[i - 1].sk, rows[i].sk);
        continue;
      }
      ASSERT_EQ(std::count(finished.begin(), finished.end(), rows[i].pk), 0)
          << "partition split across the key space";
      if (i > 0) finished.push_back(rows[i - 1].pk);
    }
  }
}

TEST(KeyCodecTest, SortKeyPrefixBoundsBeginsWith) {
  std::mt19937_64 rng(kSeed);
  AttributeValue pk = AttributeValue::S("p");
  for (int i = 0; i < kCases; ++i) {
    std::string prefix = RandomBytes(rng), s = RandomBytes(rng);
    if (rng() % 2) s = prefix + s;
    AttributeValue sk = AttributeValue::S(s);
    std::string lower = PartitionPrefix(1, pk) + Enc(AttributeValue::S(prefix), false);
    bool key_has_prefix = ItemKey(1, pk, &sk).compare(0, lower.size(), lower) == 0;
    ASSERT_EQ(key_has_prefix, s.compare(0, prefix.size(), prefix) == 0)
        << "seed=" << kSeed << " case=" << i;
  }
}

}  // namespace
}  // namespace meridian::model
