// Conversions between std::string and Cap'n Proto Data fields (copies on the way out).
#pragma once

#include <capnp/blob.h>

#include <string>

namespace meridian::schemas {

inline capnp::Data::Reader AsData(const std::string& s) {
  return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

inline std::string FromData(capnp::Data::Reader d) {
  return std::string(reinterpret_cast<const char*>(d.begin()), d.size());
}

}  // namespace meridian::schemas
