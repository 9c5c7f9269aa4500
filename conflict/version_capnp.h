// Item versions inside a larger Cap'n Proto message (e.g. a store value or a change-log
// record that embeds schemas::ItemVersion). version_codec.h is the byte-level API.
#pragma once

#include "common/status.h"
#include "conflict/item_version.h"
#include "schemas/conflict.capnp.h"

namespace meridian::conflict {

// Fills `out` with `version` in canonical form.
void WriteItemVersion(const ItemVersion& version, schemas::ItemVersion::Builder out);

// Reads and validates (see DecodeItemVersion). Never throws: kj::Exception from a
// malformed message becomes Corruption.
Result<ItemVersion> ReadItemVersion(schemas::ItemVersion::Reader in);

void WriteVersionVector(const VersionVector& vector, schemas::VersionVector::Builder out);
// Corruption unless regions strictly increase and seqs are >= 1.
Result<VersionVector> ReadVersionVector(schemas::VersionVector::Reader in);

}  // namespace meridian::conflict
