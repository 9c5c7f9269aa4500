// The fast path of HTTP/1.1 request parsing: a complete request of the common shape (request
// line, header fields, a Content-Length body or none) parsed in place in one pass over its
// bytes. Anything else — incomplete, chunked, obsolete line folding, a bare LF, a
// character a token may not hold, a malformed Content-Length — is left to the full parser
// (Beast), which accepts or rejects it; this parser never rejects anything itself, so it
// cannot accept what Beast would refuse nor refuse what Beast would accept.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace meridian::daemon {

struct FastRequest {
  std::string_view method, target, amz_target, body;
  size_t size = 0;         // bytes of the request (header and body)
  bool keep_alive = true;  // HTTP/1.1 unless "Connection: close"; 1.0 only with keep-alive
  bool expect_continue = false;
};

// Parses the request at the start of `data`. True, with *out and *headers (name, value
// views into `data`, in order) filled, when it is complete, of the common shape, and within
// the limits; false: use the full parser.
bool ParseCommonRequest(std::string_view data, size_t max_header_bytes, size_t max_body_bytes,
                        std::vector<std::pair<std::string_view, std::string_view>>* headers,
                        FastRequest* out);

}  // namespace meridian::daemon
