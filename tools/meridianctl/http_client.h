// A small HTTP/1.1 client for the admin API: plain http:// URLs, one request per connection,
// every request of a batch in flight at once, each bounded by a timeout.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace meridian::ctl {

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // http://HOST:PORT/PATH?QUERY
};

struct HttpReply {
  int status = 0;     // 0: no HTTP answer (see error)
  std::string body;   //
  std::string error;  // why there is no answer: bad URL, connection refused, timeout, ...
  bool ok() const { return error.empty(); }
};

// Sends every request concurrently; the replies are in the order of `requests`.
std::vector<HttpReply> FetchAll(const std::vector<HttpRequest>& requests,
                                std::chrono::milliseconds timeout);

}  // namespace meridian::ctl
