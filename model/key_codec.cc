#include "model/key_codec.h"

#include <xxhash.h>

#include "common/big_endian.h"

#include <cassert>
#include <cstdlib>
#include <cstring>

namespace meridian::model {
namespace {

constexpr char kNumberZero = 0x01;
constexpr char kNumberPositive = 0x02;
constexpr char kNumberNegative = 0x00;
constexpr uint16_t kExponentBias = 0x8000;

// 0x00 is the only byte that needs escaping: it becomes 0x00 0xFF, and the terminator is
// 0x00 0x01, which sorts below any escaped 0x00 and any other byte. So a string sorts
// before all its extensions, and no terminated encoding is a prefix of another.
void AppendBytes(const std::string& bytes, bool terminated, std::string* out) {
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  while (p < end) {  // runs up to and including each 0x00, which gets its 0xFF
    const auto* zero = static_cast<const char*>(std::memchr(p, '\0', static_cast<size_t>(end - p)));
    if (zero == nullptr) {
      out->append(p, static_cast<size_t>(end - p));
      break;
    }
    out->append(p, static_cast<size_t>(zero + 1 - p));
    out->push_back('\xFF');
    p = zero + 1;
  }
  if (terminated) out->append("\x00\x01", 2);
}

// Positive form of |n|: tag, exponent of 0.d1d2.. x 10^e, digits shifted to 1..10 so that
// the 0x00 terminator sorts below every digit (a shorter digit string is a smaller value,
// since normalized digits have no trailing zeros).
void AppendPositiveNumber(const Number& n, std::string* out) {
  out->push_back(kNumberPositive);
  const int e = n.exponent() + static_cast<int>(n.digits().size());
  AppendBigEndian(static_cast<uint16_t>(kExponentBias + e), 2, out);
  for (char d : n.digits()) out->push_back(static_cast<char>(d - '0' + 1));
  out->push_back('\0');
}

void AppendNumber(const Number& n, std::string* out) {
  if (n.is_zero()) {
    out->push_back(kNumberZero);
    return;
  }
  if (!n.negative()) {
    AppendPositiveNumber(n, out);
    return;
  }
  // Complementing reverses the order of magnitudes: a larger |v| now sorts first.
  out->push_back(kNumberNegative);
  const size_t start = out->size();
  AppendPositiveNumber(n, out);
  for (size_t i = start; i < out->size(); ++i) (*out)[i] = static_cast<char>(~(*out)[i]);
}

}  // namespace

void AppendKeyValue(const AttributeValue& v, bool terminated, std::string* out) {
  switch (v.type()) {
    case AttrType::kS: AppendBytes(v.s(), terminated, out); return;
    case AttrType::kB: AppendBytes(v.b(), terminated, out); return;
    case AttrType::kN: AppendNumber(v.n(), out); return;
    default:
      // Key schemas only admit S, N and B; anything else here is a caller bug.
      assert(false && "AppendKeyValue: not a key type");
      std::abort();
  }
}

uint64_t PartitionHash(const AttributeValue& pk) {
  std::string encoded;
  AppendKeyValue(pk, /*terminated=*/true, &encoded);
  return XXH3_64bits(encoded.data(), encoded.size());
}

std::string TablePrefix(uint32_t table_id) {
  std::string out;
  AppendBigEndian(table_id, kTableIdBytes, &out);
  return out;
}

uint32_t KeyTableId(std::string_view key) {
  return static_cast<uint32_t>(ReadBigEndian(key, kTableIdBytes));
}

std::string HashRangeStart(uint32_t table_id, uint64_t hash) {
  std::string out = TablePrefix(table_id);
  AppendBigEndian(hash, 8, &out);
  return out;
}

std::string PartitionPrefix(uint32_t table_id, const AttributeValue& pk) {
  std::string out = TablePrefix(table_id);
  out.reserve(kTableIdBytes + 8 + 40);  // most keys, a sort key included, without regrowth
  // The hash goes before the encoded key but is the hash of it: encode once, then fill it in.
  out.append(8, '\0');
  AppendKeyValue(pk, /*terminated=*/true, &out);
  constexpr size_t kKeyAt = kTableIdBytes + 8;
  const uint64_t hash = XXH3_64bits(out.data() + kKeyAt, out.size() - kKeyAt);
  for (size_t i = 0; i < 8; ++i) {
    out[kTableIdBytes + i] = static_cast<char>(hash >> (56 - 8 * i));
  }
  return out;
}

std::string ItemKey(uint32_t table_id, const AttributeValue& pk, const AttributeValue* sk) {
  std::string out = PartitionPrefix(table_id, pk);
  // The sort key ends the key, so it needs no terminator; unterminated also means the
  // encoding of a prefix is a prefix of the encoding, which begins_with ranges rely on.
  if (sk != nullptr) AppendKeyValue(*sk, /*terminated=*/false, &out);
  return out;
}

std::string PrefixSuccessor(std::string prefix) {
  while (!prefix.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(prefix.back());
    if (c != 0xff) {
      ++c;
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

}  // namespace meridian::model
