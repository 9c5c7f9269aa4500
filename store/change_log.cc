#include "store/change_log.h"

#include <capnp/message.h>

#include "schemas/capnp_bytes.h"
#include "schemas/capnp_frame.h"
#include "schemas/replication.capnp.h"
#include "store/store_keys.h"

namespace meridian::store {
namespace {
// A change holds one item version (at most ~16 MB, see conflict/version_codec_internal.h).
constexpr uint64_t kMaxChangeWords = (16u << 20) / 8 + 1024;

using schemas::AsData;
using schemas::FromData;

Result<Change> ReadChange(schemas::Change::Reader rec) {
  Change c;
  c.origin = rec.getOrigin();
  c.seq = rec.getSeq();
  switch (rec.getKind()) {
    case schemas::Change::Kind::ITEM: c.kind = Change::Kind::kItem; break;
    case schemas::Change::Kind::CREATE_TABLE: c.kind = Change::Kind::kCreateTable; break;
    case schemas::Change::Kind::DELETE_TABLE: c.kind = Change::Kind::kDeleteTable; break;
    case schemas::Change::Kind::UPDATE_TABLE: c.kind = Change::Kind::kUpdateTable; break;
    default: return Status::Corruption("change: unknown kind");
  }
  c.table_name = rec.getTableName().cStr();
  c.key_suffix = FromData(rec.getKeySuffix());
  c.version_bytes = FromData(rec.getVersion());
  c.table_bytes = FromData(rec.getTable());
  std::vector<conflict::VersionVector::Entry> deps;
  for (auto e : rec.getDeps().getEntries()) deps.push_back({e.getRegion(), e.getSeq()});
  c.deps = conflict::VersionVector::FromEntries(std::move(deps));
  c.hlc_millis = rec.getHlcMillis();
  c.txn_first = rec.getTxnFirst();
  c.txn_count = rec.getTxnCount();
  c.ttl_expiry = rec.getTtlExpiry();
  if (c.origin == 0 || c.seq == 0) return Status::Corruption("change: origin and seq must be set");
  if (c.txn_first != 0 &&
      (c.kind != Change::Kind::kItem || c.txn_count == 0 || c.txn_count > kMaxTransactionChanges ||
       c.seq < c.txn_first || c.seq > c.txn_last())) {
    return Status::Corruption("change: malformed transaction unit");
  }
  if (c.kind == Change::Kind::kItem && c.key_suffix.size() < 9) {
    return Status::Corruption("change: key too short");
  }
  return c;
}

}  // namespace

std::string LogOriginPrefix(conflict::RegionId origin) {
  return BigEndian(origin, kLogOriginBytes);
}

std::string LogKey(conflict::RegionId origin, uint64_t seq) {
  std::string key = LogOriginPrefix(origin);
  AppendBigEndian(seq, 8, &key);
  return key;
}

uint64_t LogKeySeq(std::string_view key) { return ReadBigEndian(key.substr(kLogOriginBytes), 8); }

std::string EncodeChange(const Change& c) {
  schemas::ScratchMessage scratch;
  capnp::MessageBuilder& message = scratch.builder();
  auto rec = message.initRoot<schemas::Change>();
  rec.setOrigin(c.origin);
  rec.setSeq(c.seq);
  switch (c.kind) {
    case Change::Kind::kItem: rec.setKind(schemas::Change::Kind::ITEM); break;
    case Change::Kind::kCreateTable: rec.setKind(schemas::Change::Kind::CREATE_TABLE); break;
    case Change::Kind::kDeleteTable: rec.setKind(schemas::Change::Kind::DELETE_TABLE); break;
    case Change::Kind::kUpdateTable: rec.setKind(schemas::Change::Kind::UPDATE_TABLE); break;
  }
  rec.setTableName(c.table_name);
  rec.setKeySuffix(AsData(c.key_suffix));
  rec.setVersion(AsData(c.version_bytes));
  rec.setTable(AsData(c.table_bytes));
  auto entries = rec.initDeps().initEntries(c.deps.entries().size());
  for (unsigned i = 0; i < c.deps.entries().size(); ++i) {
    entries[i].setRegion(c.deps.entries()[i].region);
    entries[i].setSeq(c.deps.entries()[i].seq);
  }
  rec.setHlcMillis(c.hlc_millis);
  if (c.txn_first != 0) {
    rec.setTxnFirst(c.txn_first);
    rec.setTxnCount(c.txn_count);
  }
  if (c.ttl_expiry) rec.setTtlExpiry(true);
  return schemas::WritePacked(message);
}

Result<Change> DecodeChange(std::string_view bytes) {
  auto read = [](capnp::MessageReader& r) { return ReadChange(r.getRoot<schemas::Change>()); };
  return schemas::DecodeFramed<Change>(bytes, "change", kMaxChangeWords, read);
}

}  // namespace meridian::store
