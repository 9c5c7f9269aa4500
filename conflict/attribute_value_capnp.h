// model::AttributeValue <-> schemas::AttributeValue (schemas/item.capnp), for the version
// codec. Internal to conflict/: the store has its own copy for StoredItem.
#pragma once

#include "common/status.h"
#include "model/attribute_value.h"
#include "schemas/item.capnp.h"

namespace meridian::conflict::internal {

void WriteValue(const model::AttributeValue& value, schemas::AttributeValue::Builder out);
void WriteItem(const model::Item& item, capnp::List<schemas::Attribute>::Builder out);

// Corruption for numbers that do not parse or union tags this build does not know.
// May throw kj::Exception on malformed messages: callers catch it at the boundary.
Result<model::AttributeValue> ReadValue(schemas::AttributeValue::Reader in);
Result<model::Item> ReadItem(capnp::List<schemas::Attribute>::Reader in);
Result<model::Number> ReadNumber(capnp::Text::Reader text);

// `s` as Text: with its size, not up to its first NUL (kj converts a std::string through
// c_str(), which would cut "a\0b" to "a"; DynamoDB strings may hold U+0000).
inline capnp::Text::Reader AsText(const std::string& s) {
  return capnp::Text::Reader(s.data(), s.size());
}
inline capnp::Data::Reader AsData(const std::string& s) {
  return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}
inline std::string ToString(capnp::Data::Reader d) {
  return std::string(reinterpret_cast<const char*>(d.begin()), d.size());
}
inline std::string ToString(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

}  // namespace meridian::conflict::internal
