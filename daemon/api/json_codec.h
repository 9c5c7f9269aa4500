// AttributeValue <-> DynamoDB JSON ({"S": "x"}, {"N": "1"}, {"B": "<base64>"}, ...), with
// DynamoDB's validation messages. Decoding throws ApiError (daemon/api internal).
#pragma once

#include <boost/json/fwd.hpp>
#include <string>
#include <string_view>

#include "model/attribute_value.h"

namespace meridian::api {

// Longest attribute name (DynamoDB: "less than 65536 bytes"); key attributes: 255.
constexpr size_t kMaxAttributeNameBytes = 65535;
// Throws ValidationException for an empty or too long attribute name (at any depth).
void CheckAttributeName(std::string_view name);

// Decodes one AttributeValue. Throws ApiError (Validation or Serialization).
model::AttributeValue DecodeAttributeValue(const boost::json::value& json);
// Decodes {"name": AttributeValue, ...}. Throws ApiError.
model::Item DecodeItem(const boost::json::value& json);

boost::json::value EncodeAttributeValue(const model::AttributeValue& value);
boost::json::object EncodeItem(const model::Item& item);

}  // namespace meridian::api
