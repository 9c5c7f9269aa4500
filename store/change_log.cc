#include "store/change_log.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstring>

#include "schemas/changelog.capnp.h"

namespace meridian::store {
namespace {
capnp::Data::Reader AsData(const std::string& s) {
  return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}
std::string FromData(capnp::Data::Reader d) {
  return std::string(reinterpret_cast<const char*>(d.begin()), d.size());
}
}  // namespace

std::string EncodeChangeRecord(const ChangeRecord& r) {
  capnp::MallocMessageBuilder message(128 + (r.item_bytes.size() + r.item_key.size()) / 8);
  auto rec = message.initRoot<schemas::ChangeRecord>();
  rec.setSeq(r.seq);
  rec.setTableId(r.table_id);
  rec.setTableName(r.table_name);
  rec.setItemKey(AsData(r.item_key));
  rec.setItemBytes(AsData(r.item_bytes));
  rec.setCountDelta(r.count_delta);
  rec.setBytesDelta(r.bytes_delta);
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

Result<ChangeRecord> DecodeChangeRecord(std::string_view bytes) {
  if (bytes.size() % sizeof(capnp::word) != 0) return Status::Corruption("change record size");
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  try {
    capnp::FlatArrayMessageReader reader(words);
    auto rec = reader.getRoot<schemas::ChangeRecord>();
    ChangeRecord out;
    out.seq = rec.getSeq();
    out.table_id = rec.getTableId();
    out.table_name = rec.getTableName().cStr();
    out.item_key = FromData(rec.getItemKey());
    out.item_bytes = FromData(rec.getItemBytes());
    out.count_delta = rec.getCountDelta();
    out.bytes_delta = rec.getBytesDelta();
    return out;
  } catch (const kj::Exception& e) {
    return Status::Corruption(std::string("change record: ") + e.getDescription().cStr());
  }
}

}  // namespace meridian::store
