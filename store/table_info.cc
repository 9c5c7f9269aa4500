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

std::optional<KeyType> ParseKeyType(std::string_view name) {
  if (name == "S") return KeyType::kS;
  if (name == "N") return KeyType::kN;
  if (name == "B") return KeyType::kB;
  return std::nullopt;
}

namespace {

// Enum values and their names in DynamoDB's API (and in stored table descriptors).
template <typename Enum>
struct NameOf {
  Enum value;
  const char* name;
};
constexpr NameOf<BillingMode> kBillingModes[] = {{BillingMode::kProvisioned, "PROVISIONED"},
                                                 {BillingMode::kPayPerRequest, "PAY_PER_REQUEST"}};
constexpr NameOf<ProjectionType> kProjectionTypes[] = {{ProjectionType::kAll, "ALL"},
                                                       {ProjectionType::kKeysOnly, "KEYS_ONLY"},
                                                       {ProjectionType::kInclude, "INCLUDE"}};
constexpr NameOf<StreamViewType> kStreamViewTypes[] = {
    {StreamViewType::kKeysOnly, "KEYS_ONLY"},
    {StreamViewType::kNewImage, "NEW_IMAGE"},
    {StreamViewType::kOldImage, "OLD_IMAGE"},
    {StreamViewType::kNewAndOldImages, "NEW_AND_OLD_IMAGES"}};

template <typename Enum, size_t N>
const char* NameIn(const NameOf<Enum> (&names)[N], Enum value) {
  for (const auto& n : names) {
    if (n.value == value) return n.name;
  }
  return names[0].name;
}

template <typename Enum, size_t N>
std::optional<Enum> ValueIn(const NameOf<Enum> (&names)[N], std::string_view name) {
  for (const auto& n : names) {
    if (name == n.name) return n.value;
  }
  return std::nullopt;
}

}  // namespace

const char* BillingModeName(BillingMode mode) { return NameIn(kBillingModes, mode); }
std::optional<BillingMode> ParseBillingMode(std::string_view name) {
  return ValueIn(kBillingModes, name);
}
const char* ProjectionTypeName(ProjectionType type) { return NameIn(kProjectionTypes, type); }
std::optional<ProjectionType> ParseProjectionType(std::string_view name) {
  return ValueIn(kProjectionTypes, name);
}

const char* StreamViewTypeName(StreamViewType type) { return NameIn(kStreamViewTypes, type); }
std::optional<StreamViewType> ParseStreamViewType(std::string_view name) {
  return ValueIn(kStreamViewTypes, name);
}

bool ValidKeyValue(const model::AttributeValue& value, KeyType type, bool partition) {
  if (!MatchesKeyType(value, type)) return false;
  if (value.type() == model::AttrType::kS && value.s().empty()) return false;
  if (value.type() == model::AttrType::kB && value.b().empty()) return false;
  return value.ByteSize() <= (partition ? kMaxPartitionKeyBytes : kMaxSortKeyBytes);
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

const IndexInfo* TableInfo::FindIndex(std::string_view index_name) const {
  for (const auto& index : indexes) {
    if (index.name == index_name) return &index;
  }
  return nullptr;
}

namespace {

bool SameKey(const KeyAttribute& a, const KeyAttribute& b) {
  return a.name == b.name && a.type == b.type;
}

}  // namespace

bool IndexInfo::SameShape(const IndexInfo& other) const {
  return local == other.local && SameKey(partition_key, other.partition_key) &&
         sort_key.has_value() == other.sort_key.has_value() &&
         (!sort_key || SameKey(*sort_key, *other.sort_key)) &&
         projection_type == other.projection_type && non_key_attributes == other.non_key_attributes;
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

template <typename Builder>
void SetKey(Builder b, const KeyAttribute& key) {
  b.setName(key.name);
  b.setType(ToSchema(key.type));
}

// The partition key, and the sort key when there is one.
template <typename Builder>
void SetKeySchema(Builder b, const KeyAttribute& partition_key,
                  const std::optional<KeyAttribute>& sort_key) {
  SetKey(b.initPartitionKey(), partition_key);
  b.setHasSortKey(sort_key.has_value());
  if (sort_key) SetKey(b.initSortKey(), *sort_key);
}

template <typename Reader>
KeyAttribute GetKey(Reader r) {
  return {r.getName().cStr(), FromSchema(r.getType())};
}

void SetThroughput(schemas::ThroughputChanges::Builder out, const ThroughputChanges& in) {
  out.setLastIncreaseMs(in.last_increase_ms);
  out.setLastDecreaseMs(in.last_decrease_ms);
  out.setDecreasesToday(in.decreases_today);
}

ThroughputChanges GetThroughput(schemas::ThroughputChanges::Reader in) {
  return {in.getLastIncreaseMs(), in.getLastDecreaseMs(), in.getDecreasesToday()};
}

void EncodeIndexes(const std::vector<IndexInfo>& indexes, schemas::TableDescriptor::Builder d) {
  auto list = d.initIndexes(indexes.size());
  for (unsigned i = 0; i < indexes.size(); ++i) {
    const IndexInfo& in = indexes[i];
    auto out = list[i];
    out.setName(in.name);
    out.setLocal(in.local);
    out.setIndexId(in.index_id);
    SetKeySchema(out, in.partition_key, in.sort_key);
    out.setProjectionType(ProjectionTypeName(in.projection_type));
    auto attrs = out.initNonKeyAttributes(in.non_key_attributes.size());
    for (unsigned j = 0; j < in.non_key_attributes.size(); ++j)
      attrs.set(j, in.non_key_attributes[j]);
    out.setReadCapacity(in.read_capacity);
    out.setWriteCapacity(in.write_capacity);
    SetThroughput(out.initThroughput(), in.throughput);
  }
}

Status DecodeIndexes(schemas::TableDescriptor::Reader d, std::vector<IndexInfo>* indexes) {
  for (auto in : d.getIndexes()) {
    IndexInfo out;
    out.name = in.getName().cStr();
    out.local = in.getLocal();
    out.index_id = in.getIndexId();
    out.partition_key = GetKey(in.getPartitionKey());
    if (in.getHasSortKey()) out.sort_key = GetKey(in.getSortKey());
    auto projection = ParseProjectionType(in.getProjectionType().cStr());
    if (!projection) return Status::Corruption("table descriptor: projection type");
    out.projection_type = *projection;
    for (auto a : in.getNonKeyAttributes()) out.non_key_attributes.emplace_back(a.cStr());
    out.read_capacity = in.getReadCapacity();
    out.write_capacity = in.getWriteCapacity();
    out.throughput = GetThroughput(in.getThroughput());
    indexes->push_back(std::move(out));
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeTableInfo(const TableInfo& info) {
  capnp::MallocMessageBuilder message;
  auto d = message.initRoot<schemas::TableDescriptor>();
  d.setName(info.name);
  d.setTableId(info.table_id);
  SetKeySchema(d, info.partition_key, info.sort_key);
  d.setCreationTimeMs(info.creation_time_ms);
  d.setBillingMode(BillingModeName(info.billing_mode));
  d.setReadCapacity(info.read_capacity);
  d.setWriteCapacity(info.write_capacity);
  SetThroughput(d.initThroughput(), info.throughput);
  auto tags = d.initTags(info.tags.size());
  for (unsigned i = 0; i < info.tags.size(); ++i) {
    tags[i].setKey(info.tags[i].first);
    tags[i].setValue(info.tags[i].second);
  }
  d.setConflictPolicy(conflict::PolicyName(info.conflict_policy));
  d.setAllRegions(info.all_regions);
  auto replicas = d.initReplicas(info.replicas.size());
  for (unsigned i = 0; i < info.replicas.size(); ++i) {
    replicas[i].setRegion(info.replicas[i].region);
    replicas[i].setAddedOrigin(info.replicas[i].added_origin);
    replicas[i].setAddedSeq(info.replicas[i].added_seq);
  }
  d.setUpdateHlc(info.update_hlc);
  d.setUpdateOrigin(info.update_origin);
  EncodeIndexes(info.indexes, d);
  d.setStreamEnabled(info.stream.enabled);
  d.setStreamViewType(StreamViewTypeName(info.stream.view_type));
  d.setStreamLabelMs(info.stream.label_ms);
  d.setTtlEnabled(info.ttl_enabled);
  d.setTtlAttribute(info.ttl_attribute);
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
    info.partition_key = GetKey(d.getPartitionKey());
    if (d.getHasSortKey()) info.sort_key = GetKey(d.getSortKey());
    info.creation_time_ms = d.getCreationTimeMs();
    auto billing = ParseBillingMode(d.getBillingMode().cStr());
    if (!billing) return Status::Corruption("table descriptor: billing mode");
    info.billing_mode = *billing;
    info.read_capacity = d.getReadCapacity();
    info.write_capacity = d.getWriteCapacity();
    info.throughput = GetThroughput(d.getThroughput());
    for (auto t : d.getTags()) info.tags.emplace_back(t.getKey().cStr(), t.getValue().cStr());
    auto policy = conflict::ParsePolicy(d.getConflictPolicy().cStr());
    if (!policy.ok()) return Status::Corruption("table descriptor: conflict policy");
    info.conflict_policy = *policy;
    info.all_regions = d.getAllRegions();
    for (auto r : d.getReplicas()) {
      info.replicas.push_back({r.getRegion().cStr(), r.getAddedOrigin(), r.getAddedSeq()});
    }
    // Definitions written before replica sets existed replicated everywhere.
    if (info.replicas.empty()) info.all_regions = true;
    info.update_hlc = d.getUpdateHlc();
    info.update_origin = d.getUpdateOrigin();
    MERIDIAN_RETURN_IF_ERROR(DecodeIndexes(d, &info.indexes));
    info.stream.enabled = d.getStreamEnabled();
    info.stream.label_ms = d.getStreamLabelMs();
    if (d.hasStreamViewType()) {
      auto view = ParseStreamViewType(d.getStreamViewType().cStr());
      if (!view) return Status::Corruption("table descriptor: stream view type");
      info.stream.view_type = *view;
    }
    info.ttl_enabled = d.getTtlEnabled();
    info.ttl_attribute = d.getTtlAttribute().cStr();
    return info;
  } catch (const kj::Exception& e) {
    return Status::Corruption(std::string("table descriptor: ") + e.getDescription().cStr());
  }
}

}  // namespace meridian::store
