// Standard Base64 (RFC 4648, "+/" alphabet, "=" padding): the form DynamoDB's JSON carries
// binary values in, and shows them in error messages.
#pragma once

#include <string>
#include <string_view>

namespace meridian {

std::string Base64Encode(std::string_view bytes);
// Strict: false unless `text` is whole 4-character groups of the alphabet with padding only
// at the end (DynamoDB refuses anything else). *out holds the bytes on success.
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace meridian
