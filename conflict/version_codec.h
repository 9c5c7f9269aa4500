// Bytes of item versions and conflict records: packed, one-segment Cap'n Proto
// (schemas/conflict.capnp; framing in schemas/capnp_frame.h, which also reads the flat
// form earlier versions stored). Equal versions encode to identical bytes; decoding checks
// the canonical order and the causal invariants, so a version that decodes is safe to
// merge.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "conflict/conflict_record.h"
#include "conflict/item_version.h"

namespace meridian::conflict {

std::string EncodeItemVersion(const ItemVersion& version);

// Corruption for bytes that are not a valid message, numbers that do not parse, lists out
// of canonical order or with duplicates, dots not covered by the vector, or state of the
// wrong policy. Never throws (kj::Exception is caught here). Any alignment is accepted.
Result<ItemVersion> DecodeItemVersion(std::string_view bytes);

std::string EncodeConflictRecord(const ConflictRecord& record);
// Corruption as DecodeItemVersion.
Result<ConflictRecord> DecodeConflictRecord(std::string_view bytes);

}  // namespace meridian::conflict
