// Order-preserving encoding of primary keys into RocksDB keys (docs/design.md section 2):
//
//   item key = table_id (4 bytes BE) | hash64(pk) (8 bytes BE) | enc(pk, terminated) | enc(sk)
//
// enc() preserves DynamoDB's order for each key type: S and B by unsigned bytes, N by
// numeric value. The partition key is encoded self-delimiting ("terminated") because the
// sort key follows it; the sort key is the last component and may be encoded either way.
// Within one table all keys of one attribute share a type, so types never mix in one range.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/attribute_value.h"

namespace meridian::model {

// Every item key (and index entry key) starts with the id of its table (or index) in this
// many bytes, big-endian. Ids are local to a region: what follows them (the key suffix) is
// what regions exchange.
inline constexpr size_t kTableIdBytes = 4;

// Appends enc(v) to *out. REQUIRES: v.is_scalar_key_type().
//  S, B: bytes with 0x00 escaped as 0x00 0xFF; terminated adds 0x00 0x01.
//  N:    zero -> 0x01; positive -> 0x02, exponent (2 bytes BE, biased by 0x8000) of the
//        form 0.d1d2.. x 10^e, then each digit as (digit + 1), then 0x00;
//        negative -> 0x00 followed by the positive form of |v| with every byte complemented.
//        (N is self-delimiting, so `terminated` changes nothing.)
void AppendKeyValue(const AttributeValue& v, bool terminated, std::string* out);

// Stable 64-bit hash (XXH3) of the partition key's terminated encoding.
uint64_t PartitionHash(const AttributeValue& pk);

// table_id | hash64(pk) | enc(pk, terminated): every item of one partition starts with it.
std::string PartitionPrefix(uint32_t table_id, const AttributeValue& pk);

// Smallest key greater than every key starting with `prefix` (empty: no bound).
std::string PrefixSuccessor(std::string prefix);

// Full item key. `sk` is nullptr for hash-only tables; otherwise it is appended unterminated,
// so PartitionPrefix(...) + enc(x, false) bounds sort-key ranges and begins_with(x).
std::string ItemKey(uint32_t table_id, const AttributeValue& pk, const AttributeValue* sk);

// table_id as 4 bytes BE: every item of the table starts with it.
std::string TablePrefix(uint32_t table_id);

// The key without its table id. REQUIRES: key.size() >= kTableIdBytes.
inline std::string_view KeySuffix(std::string_view key) { return key.substr(kTableIdBytes); }

// The table id a key starts with. REQUIRES: key.size() >= kTableIdBytes.
uint32_t KeyTableId(std::string_view key);

// The first key of `table_id` whose partition hash is at least `hash` (Scan segments are
// ranges of partition hashes).
std::string HashRangeStart(uint32_t table_id, uint64_t hash);

}  // namespace meridian::model
