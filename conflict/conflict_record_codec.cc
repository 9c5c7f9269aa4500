// ConflictRecord <-> schemas::ConflictRecord, for a persisted conflict log.
#include <utility>

#include "conflict/attribute_value_capnp.h"
#include "conflict/version_capnp.h"
#include "conflict/version_codec.h"
#include "conflict/version_codec_internal.h"

namespace meridian::conflict {
namespace {

void WriteSide(const ConflictSide& side, schemas::ConflictSide::Builder out) {
  out.setRegion(side.dot.region);
  out.setSeq(side.dot.seq);
  out.setHlc(side.hlc.packed());
  WriteVersionVector(side.vector, out.initVector());
  out.setTombstone(side.tombstone);
  internal::WriteItem(side.item, out.initItem(side.item.size()));
}

Result<ConflictSide> ReadSide(schemas::ConflictSide::Reader in) {
  ConflictSide side;
  side.dot = Dot{in.getRegion(), in.getSeq()};
  side.hlc = Hlc::FromPacked(in.getHlc());
  Result<VersionVector> vector = ReadVersionVector(in.getVector());
  if (!vector.ok()) return vector.status();
  side.vector = std::move(vector).value();
  side.tombstone = in.getTombstone();
  Result<model::Item> item = internal::ReadItem(in.getItem());
  if (!item.ok()) return item.status();
  side.item = std::move(item).value();
  return side;
}

// The C++ and schema enums share their numbering; the static_asserts pin it.
static_assert(static_cast<int>(ConflictRule::kMergeAttributes) ==
              static_cast<int>(schemas::ConflictRule::MERGE_ATTRIBUTES));
static_assert(static_cast<int>(ConflictWinner::kMerged) ==
              static_cast<int>(schemas::ConflictWinner::MERGED));
static_assert(static_cast<int>(AttributeRule::kRemoved) ==
              static_cast<int>(schemas::AttributeRule::REMOVED));

}  // namespace

std::string EncodeConflictRecord(const ConflictRecord& record) {
  schemas::ScratchMessage scratch;
  capnp::MessageBuilder& message = scratch.builder();
  auto out = message.initRoot<schemas::ConflictRecord>();
  out.setPolicy(record.policy == ConflictPolicy::kMerge ? schemas::ConflictPolicy::MERGE
                                                        : schemas::ConflictPolicy::LWW);
  out.setRule(static_cast<schemas::ConflictRule>(record.rule));
  out.setWinner(static_cast<schemas::ConflictWinner>(record.winner));
  WriteSide(record.local, out.initLocal());
  WriteSide(record.remote, out.initRemote());
  WriteSide(record.merged, out.initMerged());
  auto attributes = out.initAttributes(record.attributes.size());
  for (unsigned i = 0; i < record.attributes.size(); ++i) {
    attributes[i].setName(internal::AsText(record.attributes[i].first));
    attributes[i].setRule(static_cast<schemas::AttributeRule>(record.attributes[i].second));
  }
  return internal::MessageToString(message);
}

Result<ConflictRecord> DecodeConflictRecord(std::string_view bytes) {
  return internal::WithReader<ConflictRecord>(
      bytes, "conflict record", [](capnp::MessageReader& reader) -> Result<ConflictRecord> {
        auto in = reader.getRoot<schemas::ConflictRecord>();
        ConflictRecord record;
        if (static_cast<int>(in.getPolicy()) > static_cast<int>(schemas::ConflictPolicy::MERGE) ||
            static_cast<int>(in.getRule()) >
                static_cast<int>(schemas::ConflictRule::MERGE_ATTRIBUTES) ||
            static_cast<int>(in.getWinner()) > static_cast<int>(schemas::ConflictWinner::MERGED)) {
          return Status::Corruption("conflict record: unknown enum value");
        }
        record.policy = in.getPolicy() == schemas::ConflictPolicy::MERGE ? ConflictPolicy::kMerge
                                                                         : ConflictPolicy::kLww;
        record.rule = static_cast<ConflictRule>(in.getRule());
        record.winner = static_cast<ConflictWinner>(in.getWinner());
        for (auto [side, out] :
             {std::pair{in.getLocal(), &record.local}, std::pair{in.getRemote(), &record.remote},
              std::pair{in.getMerged(), &record.merged}}) {
          Result<ConflictSide> read = ReadSide(side);
          if (!read.ok()) return read.status();
          *out = std::move(read).value();
        }
        for (auto a : in.getAttributes()) {
          if (static_cast<int>(a.getRule()) > static_cast<int>(schemas::AttributeRule::REMOVED)) {
            return Status::Corruption("conflict record: unknown attribute rule");
          }
          record.attributes.emplace_back(internal::ToString(a.getName()),
                                         static_cast<AttributeRule>(a.getRule()));
        }
        return record;
      });
}

}  // namespace meridian::conflict
