// HTTP content codings as DynamoDB's endpoint handles them: request bodies sent with
// `Content-Encoding: gzip` or `deflate` (the AWS SDKs' request compression), responses
// compressed when the client's Accept-Encoding asks for it, and the CRC32 the SDKs check in
// `X-Amz-Crc32`. Pure functions over buffers (zlib); safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meridian::daemon {

enum class ContentCoding { kGzip, kDeflate };

// "gzip" / "deflate".
std::string_view ContentCodingName(ContentCoding coding);

// The coding to compress a response with, from the request's Accept-Encoding value, or
// nullopt for none. Follows what DynamoDB's endpoint does: gzip and deflate only (names
// case-insensitive, "x-gzip" is not gzip); each entry's first `q` parameter is its weight
// (clamped to [0, 1]; an unparsable q counts as 1); a coding's weight is the highest of its
// entries, else that of "*"; "identity" never wins; the highest weight above 0 wins, an
// explicitly named coding beats one that only "*" covers, then the earlier entry, then gzip.
std::optional<ContentCoding> NegotiateResponseCoding(std::string_view accept_encoding);

// Why a request body could not be decoded.
enum class DecodeError {
  kUnsupportedCoding,  // a Content-Encoding other than gzip, deflate or identity
  kMalformed,          // not a valid stream of that coding (truncated, junk after it, empty)
  kTooLarge,           // decodes to more than the allowed size
};

struct DecodeResult {
  std::optional<DecodeError> error;
  std::string body;  // the decoded body when !error
};

// Decodes `body` sent with Content-Encoding `content_encoding` (a comma-separated list,
// applied in order, as RFC 9110 says; empty and "identity" entries change nothing). gzip
// accepts several concatenated members; deflate is the zlib format or, failing its header,
// raw deflate. Never produces more than `max_bytes`: memory stays bounded whatever the input.
DecodeResult DecodeRequestBody(std::string_view content_encoding, std::string body,
                               size_t max_bytes);

// `data` compressed with `coding` (zlib format for deflate, as Python's zlib and the SDKs
// expect).
std::string Compress(ContentCoding coding, std::string_view data);

// CRC-32 (ISO-HDLC, zlib's) of `data`.
uint32_t Crc32(std::string_view data);

}  // namespace meridian::daemon
