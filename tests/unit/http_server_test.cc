// The HTTP layer under garbage and at its edges: the fast request parser never accepts what
// Beast's full parser would not (and parses what it accepts the same way), requests split at
// every byte and pipelined requests get their replies in order, and truncated, oversized and
// malformed requests get a 4xx (or a closed connection), never a crash or a hang.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "daemon/http_request_parser.h"
#include "daemon/http_server.h"

namespace meridian::daemon {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Headers = std::vector<std::pair<std::string_view, std::string_view>>;

std::string Request(const std::string& body, const std::string& extra = "") {
  return "POST / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nX-Amz-Target: DynamoDB_20120810.GetItem\r\n"
         "Content-Type: application/x-amz-json-1.0\r\n" +
         extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// What Beast makes of `data`: nullopt unless one complete request is at its start.
struct Parsed {
  std::string method, target, body;
  std::vector<std::pair<std::string, std::string>> fields;
  bool keep_alive = true;
  size_t size = 0;
};
std::optional<Parsed> BeastParse(std::string_view data) {
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  boost::beast::error_code ec;
  const size_t used = parser.put(asio::buffer(data.data(), data.size()), ec);
  if (ec || !parser.is_done()) return std::nullopt;
  Parsed p;
  const auto& m = parser.get();
  p.method = std::string(m.method_string());
  p.target = std::string(m.target());
  p.body = m.body();
  for (const auto& f : m) p.fields.emplace_back(f.name_string(), f.value());
  p.keep_alive = m.keep_alive();
  p.size = used;
  return p;
}

TEST(FastRequestParser, ParsesTheCommonShape) {
  const std::string body = R"({"TableName":"t"})";
  const std::string req = Request(body, "Expect: 100-continue\r\nConnection: Keep-Alive\r\n");
  Headers headers;
  FastRequest r;
  const std::string with_more = req + "GET / HTTP/1.1\r\n";  // the next request's start
  ASSERT_TRUE(ParseCommonRequest(with_more, 65536, 1 << 20, &headers, &r));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/");
  EXPECT_EQ(r.amz_target, "DynamoDB_20120810.GetItem");
  EXPECT_EQ(r.body, body);
  EXPECT_EQ(r.size, req.size());
  EXPECT_TRUE(r.keep_alive);
  EXPECT_TRUE(r.expect_continue);
  EXPECT_EQ(headers.size(), 6u);
  const std::string closing = Request("", "Connection: close\r\n");
  ASSERT_TRUE(ParseCommonRequest(closing, 65536, 1 << 20, &headers, &r));
  EXPECT_FALSE(r.keep_alive);
  ASSERT_TRUE(ParseCommonRequest("GET /x?y HTTP/1.0\r\n\r\n", 65536, 1 << 20, &headers, &r));
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ(r.body, "");
  // Left to the full parser: chunked bodies, folding, bare LF, spaces before a colon,
  // a second Content-Length, bodies over the limit, and anything incomplete.
  for (const std::string& other :
       {std::string("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        std::string("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"),
        std::string("GET / HTTP/1.1\nA: b\n\n"), std::string("GET / HTTP/1.1\r\nA : b\r\n\r\n"),
        Request("xy", "Content-Length: 2\r\n"), Request(std::string(100, 'x')),
        std::string("GET / HTTP/2.0\r\n\r\n"),
        // Control bytes and bare line feeds in values, short and past 16 bytes.
        std::string("GET / HTTP/1.1\r\nA: b\nc\r\n\r\n"),
        std::string("GET / HTTP/1.1\r\nA: b\r\nB: ") + std::string(40, 'x') + "\n\r\n\r\n",
        std::string("GET / HTTP/1.1\r\nA: b") + std::string(1, '\0') + "c\r\n\r\n",
        std::string("GET / HTTP/1.1\r\nA: ") + std::string(20, 'x') + "\x7f" +
            std::string(20, 'x') + "\r\n\r\n",
        std::string("GET / HTTP/1.1\r\nA: ") + std::string(17, 'x') + "\x01\r\n\r\n"}) {
    EXPECT_FALSE(ParseCommonRequest(other, 65536, 50, &headers, &r)) << other;
  }
  // Tabs and bytes >= 0x80 are allowed in values.
  EXPECT_TRUE(ParseCommonRequest(
      "GET / HTTP/1.1\r\nA: b\tc \xc3\xa9" + std::string(30, 'y') + "\r\nB: \t\r\n\r\n", 65536, 50,
      &headers, &r));
  EXPECT_EQ(headers.size(), 2u);
  const std::string full = Request(body);
  for (size_t n = 0; n < full.size(); ++n) {
    EXPECT_FALSE(ParseCommonRequest(full.substr(0, n), 65536, 1 << 20, &headers, &r)) << n;
  }
}

// Random requests and mutations of them: whenever the fast parser accepts, Beast accepts too,
// with the same method, target, body, fields and keep-alive.
TEST(FastRequestParser, NeverAcceptsWhatBeastRefuses) {
  std::mt19937_64 rng(7);
  const std::string alphabet = "ab:/ \r\n\t\x01\x7f\x80-0123456789,;=?%\"{}GETPOSTHTP.";
  int accepted = 0;
  for (int i = 0; i < 50000; ++i) {
    std::string req = Request(std::string(rng() % 40, 'x'),
                              rng() % 2 ? "Connection: close, te\r\n" : "X-A: \t v \t\r\n");
    const int edits = static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % req.size();
      switch (rng() % 3) {
        case 0: req[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: req.erase(at, 1); break;
        default: req.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    Headers headers;
    FastRequest fast;
    if (!ParseCommonRequest(req, 65536, 1 << 20, &headers, &fast)) continue;
    ++accepted;
    auto beast = BeastParse(req);
    ASSERT_TRUE(beast.has_value()) << req;
    EXPECT_EQ(fast.method, beast->method) << req;
    EXPECT_EQ(fast.target, beast->target) << req;
    EXPECT_EQ(fast.body, beast->body) << req;
    EXPECT_EQ(fast.size, beast->size) << req;
    EXPECT_EQ(fast.keep_alive, beast->keep_alive) << req;
    // (Beast's fields container moves a repeated name next to its first occurrence:
    // compare the fields as sorted lists.)
    std::vector<std::pair<std::string, std::string>> mine(headers.begin(), headers.end());
    std::sort(mine.begin(), mine.end());
    std::sort(beast->fields.begin(), beast->fields.end());
    EXPECT_EQ(mine, beast->fields) << req;
  }
  EXPECT_GT(accepted, 10000);  // the common shape survives most single edits
}

// A server whose handler echoes the body, answering every second request later from
// another thread (so replies complete out of order and must still go out in order).
class EchoServer {
 public:
  EchoServer() {
    HttpServerOptions options;
    options.max_body_bytes = 1 << 16;
    server_ = std::make_unique<HttpServer>(
        options, [this](const HttpRequest& req, const HttpResponder& respond) {
          HttpResponse r{200, "text/plain", std::string(req.body), {}};
          if (n_++ % 2 == 0) return respond(std::move(r));
          std::lock_guard lock(mu_);
          later_.emplace_back([respond, r = std::move(r)]() mutable {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            respond(std::move(r));
          });
        });
    EXPECT_TRUE(server_->Start().ok());
  }
  // The late responders (and the connections they hold) end before the server does.
  ~EchoServer() {
    std::vector<std::thread> later;
    {
      std::lock_guard lock(mu_);
      later.swap(later_);
    }
    for (auto& t : later) t.join();
    server_.reset();
  }
  uint16_t port() const { return server_->bound_port(); }

 private:
  std::atomic<int> n_{0};
  std::mutex mu_;
  std::vector<std::thread> later_;
  std::unique_ptr<HttpServer> server_;
};

// Sends `bytes` in pieces of `chunk` bytes, then reads until `replies` replies or EOF.
std::string Exchange(uint16_t port, const std::string& bytes, size_t chunk, int replies) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  s.set_option(asio::ip::tcp::no_delay(true));
  boost::system::error_code ec;
  // (A server that refuses a request early may close before all of it is sent: the reply
  // is still there to read.)
  for (size_t at = 0; at < bytes.size() && !ec; at += chunk) {
    asio::write(s, asio::buffer(bytes.data() + at, std::min(chunk, bytes.size() - at)), ec);
  }
  std::string got;
  if (replies == 0) return got;
  char buf[4096];
  while (true) {
    size_t count = 0;
    for (size_t p = got.find("HTTP/1.1 "); p != std::string::npos;
         p = got.find("HTTP/1.1 ", p + 1)) {
      ++count;
    }
    if (static_cast<int>(count) >= replies && got.size() > 0 &&
        got.rfind("\r\n\r\n") != std::string::npos) {
      // The last reply's body is complete when its Content-Length bytes are there.
      const size_t head = got.rfind("HTTP/1.1 ");
      const size_t cl = got.find("Content-Length: ", head);
      const size_t end = got.find("\r\n\r\n", head);
      if (cl != std::string::npos && end != std::string::npos &&
          got.size() >= end + 4 + std::stoul(got.substr(cl + 16))) {
        break;
      }
    }
    const size_t n = s.read_some(asio::buffer(buf), ec);
    if (ec) break;
    got.append(buf, n);
  }
  return got;
}

TEST(HttpServer, PipelinedRequestsSplitAtEveryByteAnswerInOrder) {
  EchoServer server;
  const std::string a = Request("first"), b = Request("second"), c = Request("third");
  const std::string all = a + b + c;
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64}, all.size()}) {
    const std::string got = Exchange(server.port(), all, chunk, 3);
    const size_t p1 = got.find("first"), p2 = got.find("second"), p3 = got.find("third");
    ASSERT_NE(p1, std::string::npos) << chunk;
    ASSERT_NE(p3, std::string::npos) << chunk;
    EXPECT_LT(p1, p2);
    EXPECT_LT(p2, p3);
  }
}

TEST(HttpServer, BadRequestsGetA4xxAndTheServerGoesOn) {
  EchoServer server;
  const std::pair<std::string, std::string> cases[] = {
      {"GARBAGE\r\n\r\n", "HTTP/1.1 400"},
      {"GET / HTTP/1.1\r\nBad Header\r\n\r\n", "HTTP/1.1 400"},
      {"GET / HTTP/1.1\r\nX: " + std::string(70000, 'a') + "\r\n\r\n", "HTTP/1.1 431"},
      {Request(std::string(70000, 'b')), "HTTP/1.1 413"},
      {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", "HTTP/1.1 4"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
       "HTTP/1.1 200"},
      {std::string("GET / HTTP/1.1\r\nX: \x01\r\n\r\n"), "HTTP/1.1 400"},
  };
  for (const auto& [request, want] : cases) {
    const std::string got = Exchange(server.port(), request, request.size(), 1);
    EXPECT_EQ(got.substr(0, want.size()), want) << request.substr(0, 60);
  }
  // Truncated: the server waits for the rest; closing the connection ends it quietly.
  { Exchange(server.port(), Request("body").substr(0, 30), 30, 0); }
  EXPECT_NE(Exchange(server.port(), Request("alive"), 1 << 20, 1).find("alive"), std::string::npos);
}

}  // namespace
}  // namespace meridian::daemon
