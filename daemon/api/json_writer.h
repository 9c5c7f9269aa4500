// DynamoDB JSON written straight into a reply's text (no intermediate tree): how the hot
// operations render items, which are most of their bytes. Strings are escaped as RFC 8259
// requires ('"', '\\' and control characters; UTF-8 passes through), 16 bytes at a time.
// Not thread-safe: one writer per thread at a time (it reuses a thread-local buffer).
#pragma once

#include <string>
#include <string_view>

#include "model/attribute_value.h"

namespace meridian::api {

class JsonWriter {
 public:
  JsonWriter();
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void StartObject();
  void EndObject();
  void StartArray();
  void EndArray();
  void Key(std::string_view key);
  void String(std::string_view s);
  // {"S": "..."}, {"N": "..."}, ... as DynamoDB renders an AttributeValue.
  void Value(const model::AttributeValue& v);
  // {"name": AttributeValue, ...}.
  void Item(const model::Item& item);

  // What was written (valid until the next writer on this thread starts).
  std::string_view Text() const;
};

}  // namespace meridian::api
