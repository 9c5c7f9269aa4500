#include "replication/wire.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstring>

#include "schemas/capnp_bytes.h"
#include "schemas/capnp_frame.h"
#include "schemas/replication.capnp.h"

namespace meridian::replication {
namespace {

constexpr size_t kMaxMessageBytes = 64 << 20;

std::string Flatten(capnp::MessageBuilder& message) {
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

// Runs `read` over an aligned copy of `bytes`, turning every decoding failure into
// Corruption.
template <typename T, typename Fn>
Result<T> Decode(std::string_view bytes, const char* what, Fn&& read) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0 || bytes.size() > kMaxMessageBytes) {
    return Status::Corruption(std::string(what) + ": bad size");
  }
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = kMaxMessageBytes / 8;
    options.nestingLimit = schemas::kNestingLimit;
    capnp::FlatArrayMessageReader reader(words, options);
    return read(reader);
  } catch (const kj::Exception& e) {
    return Status::Corruption(std::string(what) + ": " + e.getDescription().cStr());
  }
}

void WriteVector(const conflict::VersionVector& v, schemas::VersionVector::Builder out) {
  auto entries = out.initEntries(v.entries().size());
  for (unsigned i = 0; i < v.entries().size(); ++i) {
    entries[i].setRegion(v.entries()[i].region);
    entries[i].setSeq(v.entries()[i].seq);
  }
}

conflict::VersionVector ReadVector(schemas::VersionVector::Reader in) {
  std::vector<conflict::VersionVector::Entry> entries;
  for (auto e : in.getEntries()) entries.push_back({e.getRegion(), e.getSeq()});
  return conflict::VersionVector::FromEntries(std::move(entries));
}

}  // namespace

std::string EncodeChangeBatch(const ChangeBatchMessage& m) {
  size_t bytes = 0;
  for (const auto& c : m.changes) bytes += c.size();
  capnp::MallocMessageBuilder message(64 + bytes / 8 + m.changes.size() * 2);
  auto b = message.initRoot<schemas::ChangeBatch>();
  b.setOrigin(m.origin);
  b.setSender(m.sender);
  b.setFirstSeq(m.first_seq);
  b.setFirstAvailable(m.first_available);
  auto list = b.initChanges(m.changes.size());
  for (unsigned i = 0; i < m.changes.size(); ++i) {
    list.set(i, capnp::Data::Reader(reinterpret_cast<const kj::byte*>(m.changes[i].data()),
                                    m.changes[i].size()));
  }
  return Flatten(message);
}

Result<ChangeBatchMessage> DecodeChangeBatch(std::string_view bytes) {
  return Decode<ChangeBatchMessage>(
      bytes, "change batch", [](capnp::FlatArrayMessageReader& r) -> Result<ChangeBatchMessage> {
        auto b = r.getRoot<schemas::ChangeBatch>();
        ChangeBatchMessage m;
        m.origin = b.getOrigin();
        m.sender = b.getSender();
        m.first_seq = b.getFirstSeq();
        m.first_available = b.getFirstAvailable();
        if (m.origin == 0 || m.first_seq == 0)
          return Status::Corruption("change batch: origin and firstSeq must be set");
        for (auto c : b.getChanges())
          m.changes.emplace_back(reinterpret_cast<const char*>(c.begin()), c.size());
        return m;
      });
}

std::string EncodeFetchRequest(const FetchRequestMessage& m) {
  capnp::MallocMessageBuilder message(16);
  auto f = message.initRoot<schemas::FetchRequest>();
  f.setOrigin(m.origin);
  f.setFromSeq(m.from_seq);
  f.setMaxChanges(m.max_changes);
  f.setMaxBytes(m.max_bytes);
  f.setRequester(m.requester);
  return Flatten(message);
}

Result<FetchRequestMessage> DecodeFetchRequest(std::string_view bytes) {
  return Decode<FetchRequestMessage>(
      bytes, "fetch request", [](capnp::FlatArrayMessageReader& r) -> Result<FetchRequestMessage> {
        auto f = r.getRoot<schemas::FetchRequest>();
        FetchRequestMessage m{f.getOrigin(), f.getFromSeq(), f.getMaxChanges(), f.getMaxBytes(),
                              f.getRequester()};
        if (m.origin == 0 || m.from_seq == 0)
          return Status::Corruption("fetch request: origin and fromSeq must be set");
        return m;
      });
}

std::string EncodeHeartbeat(const HeartbeatMessage& m) {
  capnp::MallocMessageBuilder message(64);
  auto h = message.initRoot<schemas::Heartbeat>();
  h.setRegion(m.region);
  h.setRegionName(m.region_name);
  h.setHeadSeq(m.head_seq);
  WriteVector(m.applied, h.initApplied());
  h.setNowMillis(m.now_millis);
  h.setServerId(m.server_id);
  auto backfilling = h.initBackfilling(m.backfilling.size());
  for (unsigned i = 0; i < m.backfilling.size(); ++i) backfilling.set(i, m.backfilling[i]);
  h.setAdminUrl(m.admin_url);
  return Flatten(message);
}

Result<HeartbeatMessage> DecodeHeartbeat(std::string_view bytes) {
  return Decode<HeartbeatMessage>(bytes, "heartbeat",
                                  [](capnp::FlatArrayMessageReader& r) -> Result<HeartbeatMessage> {
                                    auto h = r.getRoot<schemas::Heartbeat>();
                                    HeartbeatMessage m;
                                    m.region = h.getRegion();
                                    m.region_name = h.getRegionName().cStr();
                                    m.head_seq = h.getHeadSeq();
                                    m.applied = ReadVector(h.getApplied());
                                    m.now_millis = h.getNowMillis();
                                    m.server_id = h.getServerId().cStr();
                                    for (auto t : h.getBackfilling())
                                      m.backfilling.emplace_back(t.cStr());
                                    m.admin_url = h.getAdminUrl().cStr();
                                    if (m.region == 0)
                                      return Status::Corruption("heartbeat: region must be set");
                                    return m;
                                  });
}

using schemas::AsData;
using schemas::FromData;

std::string EncodeSnapshotRequest(const SnapshotRequestMessage& m) {
  capnp::MallocMessageBuilder message(32);
  auto r = message.initRoot<schemas::SnapshotRequest>();
  r.setRequester(m.requester);
  r.setTable(m.table);
  r.setAfterKey(AsData(m.after_key));
  r.setMaxBytes(m.max_bytes);
  r.setUntilKey(AsData(m.until_key));
  r.setCatalog(m.catalog);
  return Flatten(message);
}

Result<SnapshotRequestMessage> DecodeSnapshotRequest(std::string_view bytes) {
  return Decode<SnapshotRequestMessage>(
      bytes, "snapshot request",
      [](capnp::FlatArrayMessageReader& r) -> Result<SnapshotRequestMessage> {
        auto q = r.getRoot<schemas::SnapshotRequest>();
        SnapshotRequestMessage m{q.getRequester(),          q.getTable().cStr(),
                                 FromData(q.getAfterKey()), q.getMaxBytes(),
                                 FromData(q.getUntilKey()), q.getCatalog()};
        if (m.requester == 0 || (m.table.empty() && !m.catalog))
          return Status::Corruption("snapshot request: requester and table must be set");
        return m;
      });
}

std::string EncodeSnapshotChunk(const SnapshotChunkMessage& m) {
  size_t bytes = 0;
  for (const auto& [k, v] : m.items) bytes += k.size() + v.size();
  capnp::MallocMessageBuilder message(64 + bytes / 8 + m.items.size() * 4);
  auto c = message.initRoot<schemas::SnapshotChunk>();
  c.setTable(m.table);
  c.setFound(m.found);
  WriteVector(m.vector, c.initVector());
  auto keys = c.initKeys(m.items.size());
  auto versions = c.initVersions(m.items.size());
  for (unsigned i = 0; i < m.items.size(); ++i) {
    keys.set(i, AsData(m.items[i].first));
    versions.set(i, AsData(m.items[i].second));
  }
  c.setDone(m.done);
  c.setTableItems(m.table_items);
  return Flatten(message);
}

Result<SnapshotChunkMessage> DecodeSnapshotChunk(std::string_view bytes) {
  return Decode<SnapshotChunkMessage>(
      bytes, "snapshot chunk",
      [](capnp::FlatArrayMessageReader& r) -> Result<SnapshotChunkMessage> {
        auto c = r.getRoot<schemas::SnapshotChunk>();
        SnapshotChunkMessage m;
        m.table = c.getTable().cStr();
        m.found = c.getFound();
        m.vector = ReadVector(c.getVector());
        m.done = c.getDone();
        m.table_items = c.getTableItems();
        auto keys = c.getKeys();
        auto versions = c.getVersions();
        if (keys.size() != versions.size())
          return Status::Corruption("snapshot chunk: keys and versions differ in count");
        for (unsigned i = 0; i < keys.size(); ++i) {
          if (keys[i].size() == 0) return Status::Corruption("snapshot chunk: empty key");
          m.items.emplace_back(FromData(keys[i]), FromData(versions[i]));
        }
        return m;
      });
}

std::string EncodeDigestRequest(const DigestRequestMessage& m) {
  capnp::MallocMessageBuilder message(16);
  auto r = message.initRoot<schemas::DigestRequest>();
  r.setRequester(m.requester);
  r.setTable(m.table);
  return Flatten(message);
}

Result<DigestRequestMessage> DecodeDigestRequest(std::string_view bytes) {
  return Decode<DigestRequestMessage>(
      bytes, "digest request",
      [](capnp::FlatArrayMessageReader& r) -> Result<DigestRequestMessage> {
        auto q = r.getRoot<schemas::DigestRequest>();
        DigestRequestMessage m{q.getRequester(), q.getTable().cStr()};
        if (m.requester == 0 || m.table.empty())
          return Status::Corruption("digest request: requester and table must be set");
        return m;
      });
}

std::string EncodeDigestReply(const DigestReplyMessage& m) {
  capnp::MallocMessageBuilder message(64 + m.buckets.size());
  auto c = message.initRoot<schemas::DigestReply>();
  c.setTable(m.table);
  c.setFound(m.found);
  WriteVector(m.vector, c.initVector());
  auto buckets = c.initBuckets(m.buckets.size());
  for (unsigned i = 0; i < m.buckets.size(); ++i) buckets.set(i, m.buckets[i]);
  return Flatten(message);
}

Result<DigestReplyMessage> DecodeDigestReply(std::string_view bytes) {
  return Decode<DigestReplyMessage>(
      bytes, "digest reply", [](capnp::FlatArrayMessageReader& r) -> Result<DigestReplyMessage> {
        auto c = r.getRoot<schemas::DigestReply>();
        DigestReplyMessage m;
        m.table = c.getTable().cStr();
        m.found = c.getFound();
        m.vector = ReadVector(c.getVector());
        for (auto b : c.getBuckets()) m.buckets.push_back(b);
        if (m.found ? m.buckets.size() != 256 : !m.buckets.empty()) {
          return Status::Corruption("digest reply: expected 256 buckets");
        }
        return m;
      });
}

}  // namespace meridian::replication
