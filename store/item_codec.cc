#include "store/item_codec.h"

#include "conflict/version_codec.h"

namespace meridian::store {

StoredItem MakeStoredItem(conflict::ItemVersion version) {
  StoredItem out;
  if (version.policy != conflict::ConflictPolicy::kLww)
    out.materialized = conflict::Materialize(version);
  out.version = std::move(version);
  return out;
}

std::shared_ptr<const StoredItem> ShareStoredItem(StoredItem stored) {
  stored.item_bytes = model::ItemByteSize(stored.item());
  return std::make_shared<const StoredItem>(std::move(stored));
}

std::string EncodeStoredItem(const StoredItem& stored) {
  return conflict::EncodeItemVersion(stored.version);
}

Result<StoredItem> DecodeStoredItem(std::string_view bytes) {
  auto version = conflict::DecodeItemVersion(bytes);
  if (!version.ok()) return version.status();
  return MakeStoredItem(std::move(version).value());
}

}  // namespace meridian::store
