#include "store/table_info.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstring>

#include "schemas/catalog.capnp.h"

namespace meridian::store {

const char* KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kS: return "S";
    case KeyType::kN: return "N";
    case KeyType::kB: return "B";
  }
  return "S";
}

bool MatchesKeyType(const model::AttributeValue& value, KeyType type) {
  switch (type) {
    case KeyType::kS: return value.type() == model::AttrType::kS;
    case KeyType::kN: return value.type() == model::AttrType::kN;
    case KeyType::kB: return value.type() == model::AttrType::kB;
  }
  return false;
}

bool TableInfo::HostedIn(std::string_view region) const {
  return all_regions || FindReplica(region) != nullptr;
}

const TableInfo::Replica* TableInfo::FindReplica(std::string_view region) const {
  for (const auto& r : replicas) {
    if (r.region == region) return &r;
  }
  return nullptr;
}

namespace {

schemas::KeyType ToSchema(KeyType t) {
  switch (t) {
    case KeyType::kS: return schemas::KeyType::S;
    case KeyType::kN: return schemas::KeyType::N;
    case KeyType::kB: return schemas::KeyType::B;
  }
  return schemas::KeyType::S;
}

KeyType FromSchema(schemas::KeyType t) {
  switch (t) {
    case schemas::KeyType::S: return KeyType::kS;
    case schemas::KeyType::N: return KeyType::kN;
    case schemas::KeyType::B: return KeyType::kB;
  }
  return KeyType::kS;
}

}  // namespace

std::string EncodeTableInfo(const TableInfo& info) {
  capnp::MallocMessageBuilder message;
  auto d = message.initRoot<schemas::TableDescriptor>();
  d.setName(info.name);
  d.setTableId(info.table_id);
  auto pk = d.initPartitionKey();
  pk.setName(info.partition_key.name);
  pk.setType(ToSchema(info.partition_key.type));
  d.setHasSortKey(info.sort_key.has_value());
  if (info.sort_key) {
    auto sk = d.initSortKey();
    sk.setName(info.sort_key->name);
    sk.setType(ToSchema(info.sort_key->type));
  }
  d.setCreationTimeMs(info.creation_time_ms);
  d.setBillingMode(info.billing_mode);
  d.setReadCapacity(info.read_capacity);
  d.setWriteCapacity(info.write_capacity);
  auto tags = d.initTags(info.tags.size());
  for (unsigned i = 0; i < info.tags.size(); ++i) {
    tags[i].setKey(info.tags[i].first);
    tags[i].setValue(info.tags[i].second);
  }
  d.setConflictPolicy(info.conflict_policy);
  d.setAllRegions(info.all_regions);
  auto replicas = d.initReplicas(info.replicas.size());
  for (unsigned i = 0; i < info.replicas.size(); ++i) {
    replicas[i].setRegion(info.replicas[i].region);
    replicas[i].setAddedOrigin(info.replicas[i].added_origin);
    replicas[i].setAddedSeq(info.replicas[i].added_seq);
  }
  d.setUpdateHlc(info.update_hlc);
  d.setUpdateOrigin(info.update_origin);
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

Result<TableInfo> DecodeTableInfo(std::string_view bytes) {
  if (bytes.size() % sizeof(capnp::word) != 0) return Status::Corruption("table descriptor size");
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  try {
    capnp::FlatArrayMessageReader reader(words);
    auto d = reader.getRoot<schemas::TableDescriptor>();
    TableInfo info;
    info.name = d.getName().cStr();
    info.table_id = d.getTableId();
    info.partition_key = {d.getPartitionKey().getName().cStr(),
                          FromSchema(d.getPartitionKey().getType())};
    if (d.getHasSortKey()) {
      info.sort_key = KeyAttribute{d.getSortKey().getName().cStr(),
                                   FromSchema(d.getSortKey().getType())};
    }
    info.creation_time_ms = d.getCreationTimeMs();
    info.billing_mode = d.getBillingMode().cStr();
    info.read_capacity = d.getReadCapacity();
    info.write_capacity = d.getWriteCapacity();
    for (auto t : d.getTags()) info.tags.emplace_back(t.getKey().cStr(), t.getValue().cStr());
    info.conflict_policy = d.getConflictPolicy().cStr();
    info.all_regions = d.getAllRegions();
    for (auto r : d.getReplicas()) {
      info.replicas.push_back({r.getRegion().cStr(), r.getAddedOrigin(), r.getAddedSeq()});
    }
    // Definitions written before replica sets existed replicated everywhere.
    if (info.replicas.empty()) info.all_regions = true;
    info.update_hlc = d.getUpdateHlc();
    info.update_origin = d.getUpdateOrigin();
    return info;
  } catch (const kj::Exception& e) {
    return Status::Corruption(std::string("table descriptor: ") + e.getDescription().cStr());
  }
}

}  // namespace meridian::store
