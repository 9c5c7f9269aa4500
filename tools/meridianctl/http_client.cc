#include "tools/meridianctl/http_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <cstdint>
#include <exception>

namespace meridian::ctl {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

struct Target {
  std::string host;
  std::string port;
  std::string path;
};

// Parses an http:// URL ("HOST:PORT" alone is taken as http://HOST:PORT).
bool ParseTarget(const std::string& url, Target* out, std::string* error) {
  std::string with_scheme = url.find("://") == std::string::npos ? "http://" + url : url;
  auto u = boost::urls::parse_uri(with_scheme);
  if (!u) {
    *error = "invalid URL '" + url + "': " + u.error().message();
    return false;
  }
  if (u->scheme() != "http") {
    *error = "unsupported URL scheme in '" + url + "' (only http:// is supported)";
    return false;
  }
  if (u->host().empty()) {
    *error = "invalid URL '" + url + "': no host";
    return false;
  }
  out->host = u->host_address();  // an IPv6 literal without its brackets
  out->port = u->has_port() ? std::string(u->port()) : "80";
  out->path = u->encoded_target().empty() ? "/" : std::string(u->encoded_target());
  return true;
}

asio::awaitable<void> Fetch(const HttpRequest& request, std::chrono::milliseconds timeout,
                            HttpReply* reply) {
  Target target;
  if (!ParseTarget(request.url, &target, &reply->error)) co_return;
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  beast::tcp_stream stream(executor);
  stream.expires_after(timeout);
  const auto endpoints =
      co_await resolver.async_resolve(target.host, target.port, asio::use_awaitable);
  co_await stream.async_connect(endpoints, asio::use_awaitable);

  http::request<http::empty_body> req{http::string_to_verb(request.method), target.path, 11};
  req.set(http::field::host, target.host + ":" + target.port);
  req.set(http::field::user_agent, "meridianctl");
  req.set(http::field::accept, "application/json");
  req.keep_alive(false);
  req.prepare_payload();
  co_await http::async_write(stream, req, asio::use_awaitable);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(uint64_t{64} << 20);
  co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
  reply->status = static_cast<int>(parser.get().result_int());
  reply->body = std::move(parser.get().body());
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

std::string Describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const boost::system::system_error& err) {
    if (err.code() == beast::error::timeout) return "timed out";
    return err.code().message();
  } catch (const std::exception& err) {
    return err.what();
  }
}

}  // namespace

std::vector<HttpReply> FetchAll(const std::vector<HttpRequest>& requests,
                                std::chrono::milliseconds timeout) {
  std::vector<HttpReply> replies(requests.size());
  asio::io_context io;
  for (size_t i = 0; i < requests.size(); ++i) {
    HttpReply* reply = &replies[i];
    asio::co_spawn(io, Fetch(requests[i], timeout, reply),
                   [reply, url = requests[i].url](const std::exception_ptr& e) {
                     if (e) {
                       reply->status = 0;
                       reply->body.clear();
                       reply->error = url + ": " + Describe(e);
                     }
                   });
  }
  io.run();
  return replies;
}

}  // namespace meridian::ctl
