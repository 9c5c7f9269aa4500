// AttributeValue <-> DynamoDB JSON ({"S": "x"}, {"N": "1"}, {"B": "<base64>"}, ...), with
// DynamoDB's validation messages. Decoding throws ApiError (daemon/api internal).
#pragma once

#include <boost/json/fwd.hpp>
#include <string>
#include <string_view>

#include "model/attribute_value.h"

namespace meridian::api {

// Decodes one AttributeValue. Throws ApiError (Validation or Serialization).
model::AttributeValue DecodeAttributeValue(const boost::json::value& json);
// Decodes {"name": AttributeValue, ...}. Throws ApiError.
model::Item DecodeItem(const boost::json::value& json);

boost::json::value EncodeAttributeValue(const model::AttributeValue& value);
boost::json::object EncodeItem(const model::Item& item);

}  // namespace meridian::api
