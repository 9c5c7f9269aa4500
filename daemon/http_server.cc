// HTTP/1.1 server: one io_context per worker thread (no strands, no locks on the hot path);
// the acceptor hands each new connection to the next worker. Requests are parsed with
// Beast's parser fed from a per-connection buffer; responses are serialized by hand into one
// buffer and written with a single send, which keeps the per-request cost low.
#include "daemon/http_server.h"

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <charconv>
#include <thread>

#include "common/thread_name.h"

namespace meridian::daemon {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Socket = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;
using TlsStream = asio::ssl::stream<Socket>;

namespace {

thread_local asio::io_context* current_worker = nullptr;

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 403: return "Forbidden";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

void AppendResponse(const HttpResponse& r, bool keep_alive, std::string* out) {
  out->append("HTTP/1.1 ");
  out->append(std::to_string(r.status));
  out->push_back(' ');
  out->append(Reason(r.status));
  out->append("\r\nContent-Type: ");
  out->append(r.content_type);
  out->append("\r\nContent-Length: ");
  out->append(std::to_string(r.body.size()));
  for (const auto& [k, v] : r.headers) {
    out->append("\r\n");
    out->append(k);
    out->append(": ");
    out->append(v);
  }
  out->append(keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
  out->append(r.body);
}

// One connection, over a plain socket or a TLS stream.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, const HttpHandler& handler, const HttpServerOptions& options)
      : socket_(std::move(stream)), handler_(handler), options_(options) {}

  void Start() {
    boost::system::error_code ec;
    beast::get_lowest_layer(socket_).set_option(tcp::no_delay(true), ec);
    ResetParser();
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      socket_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](boost::system::error_code e) {
                                if (e) return self->Close();
                                self->Read();
                              });
    } else {
      Read();
    }
  }

 private:
  void ResetParser() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(64 * 1024);
  }

  void Read() {
    auto space =
        buffer_.prepare(std::max<size_t>(size_t{16} << 10, buffer_.capacity() - buffer_.size()));
    socket_.async_read_some(
        space, [self = this->shared_from_this()](boost::system::error_code ec, size_t n) {
          if (ec) return self->Close();
          self->buffer_.commit(n);
          self->Parse();
        });
  }

  // Feeds buffered bytes to the parser; answers every complete request, then reads more.
  void Parse() {
    while (buffer_.size() > 0) {
      beast::error_code ec;
      size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) break;
      if (ec == http::error::body_limit) {
        return Reply(
            HttpResponse{
                413,
                "application/x-amz-json-1.0",
                R"({"__type":"com.amazon.coral.validate#ValidationException","message":"Request size exceeded the maximum allowed size"})",
                {}},
            false);
      }
      if (ec) {
        return Reply(HttpResponse{400, "text/plain", "malformed HTTP request\n", {}}, false);
      }
      if (parser_->is_done()) {
        Dispatch();
        return;  // Dispatch continues parsing after the write completes.
      }
      if (used == 0) break;
    }
    Read();
  }

  void Dispatch() {
    auto& req = parser_->get();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    if (auto it = req.find("X-Amz-Target"); it != req.end())
      request.amz_target = std::string(it->value());
    request.body = std::move(req.body());
    if (options_.keep_headers) {
      // Into the session's vector, whose strings keep their capacity from request to
      // request: no allocation once a connection has seen its usual headers.
      size_t n = 0;
      for (const auto& field : req) {
        if (n == headers_.size()) headers_.emplace_back();
        headers_[n].first.assign(field.name_string());
        headers_[n].second.assign(field.value());
        ++n;
      }
      headers_.resize(n);
      request.headers.swap(headers_);
    }
    const bool keep_alive = req.keep_alive();
    auto self = this->shared_from_this();
    HttpResponder respond = [self, keep_alive](HttpResponse response) {
      asio::dispatch(self->socket_.get_executor(),
                     [self, keep_alive, response = std::move(response)] {
                       self->Reply(response, keep_alive);
                     });
    };
    try {
      handler_(request, std::move(respond));
    } catch (const std::exception& e) {
      spdlog::error("http handler threw: {}", e.what());
      Reply(HttpResponse{500, "application/json", R"({"message":"internal error"})", {}}, false);
    }
    headers_.swap(request.headers);  // handlers read headers only before they return
  }

  void Reply(const HttpResponse& response, bool keep_alive) {
    out_.clear();
    AppendResponse(response, keep_alive, &out_);
    asio::async_write(
        socket_, asio::buffer(out_),
        [self = this->shared_from_this(), keep_alive](boost::system::error_code ec, size_t) {
          if (ec || !keep_alive) return self->Close();
          self->ResetParser();
          self->Parse();
        });
  }

  void Close() {
    boost::system::error_code ec;
    auto& socket = beast::get_lowest_layer(socket_);
    socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.close(ec);
  }

  Stream socket_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string out_;
  std::vector<std::pair<std::string, std::string>> headers_;  // reused by Dispatch
  const HttpHandler& handler_;
  const HttpServerOptions& options_;
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  // One io_context per worker; the first also runs the acceptor.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::unique_ptr<asio::basic_socket_acceptor<tcp, asio::io_context::executor_type>> acceptor;
  std::vector<std::thread> threads;
  std::atomic<size_t> next{0};
  bool running = false;
  std::unique_ptr<asio::ssl::context> tls;  // HTTPS when set

  void Accept() {
    auto& target = *contexts[next++ % contexts.size()];
    acceptor->async_accept(target.get_executor(), [this](boost::system::error_code ec,
                                                         Socket socket) {
      if (!acceptor->is_open()) return;
      if (!ec && tls) {
        std::make_shared<Session<TlsStream>>(TlsStream(std::move(socket), *tls), handler, options)
            ->Start();
      } else if (!ec) {
        std::make_shared<Session<Socket>>(std::move(socket), handler, options)->Start();
      }
      Accept();
    });
  }

  Status LoadTls() {
    if (options.tls_cert.empty() && options.tls_key.empty()) return Status::Ok();
    if (options.tls_cert.empty() || options.tls_key.empty()) {
      return Status::InvalidArgument("TLS needs both a certificate and a key file");
    }
    tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    boost::system::error_code ec;
    const char* step = "certificate";
    tls->use_certificate_chain_file(options.tls_cert, ec);
    if (!ec) {
      step = "private key";
      tls->use_private_key_file(options.tls_key, asio::ssl::context::pem, ec);
    }
    if (!ec && !options.tls_client_ca.empty()) {
      step = "client CA";
      tls->load_verify_file(options.tls_client_ca, ec);
      if (!ec) {
        tls->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert, ec);
      }
    }
    if (ec) {
      tls.reset();
      return Status::InvalidArgument(std::string("TLS ") + step + ": " + ec.message());
    }
    return Status::Ok();
  }
};

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  MERIDIAN_RETURN_IF_ERROR(impl_->LoadTls());
  const int n = std::max(1, impl_->options.threads);
  for (int i = 0; i < n; ++i) impl_->contexts.push_back(std::make_unique<asio::io_context>(1));
  impl_->acceptor =
      std::make_unique<asio::basic_socket_acceptor<tcp, asio::io_context::executor_type>>(
          impl_->contexts[0]->get_executor());
  boost::system::error_code ec;
  auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) return Status::InvalidArgument("bad listen address " + impl_->options.host);
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acc = *impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("listen on " + impl_->options.host + ":" +
                           std::to_string(impl_->options.port) + ": " + ec.message());
  }
  for (auto& ctx : impl_->contexts) impl_->guards.push_back(asio::make_work_guard(*ctx));
  impl_->Accept();
  for (auto& ctx : impl_->contexts) {
    impl_->threads.emplace_back([io = ctx.get()] {
      SetThreadName("http");
      current_worker = io;
      io->run();
    });
  }
  impl_->running = true;
  return Status::Ok();
}

uint16_t HttpServer::bound_port() const { return impl_->acceptor->local_endpoint().port(); }

void HttpServer::Stop() {
  if (!impl_->running) return;
  impl_->running = false;
  asio::post(*impl_->contexts[0], [this] {
    boost::system::error_code ec;
    impl_->acceptor->close(ec);
  });
  impl_->guards.clear();
  for (auto& ctx : impl_->contexts) ctx->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

HttpHandler SyncHandler(std::function<HttpResponse(const HttpRequest&)> handler) {
  return [handler = std::move(handler)](HttpRequest& request, const HttpResponder& respond) {
    respond(handler(request));
  };
}

std::string_view FindHeader(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (beast::iequals(key, name)) return value;
  }
  return {};
}

void PostToCurrentWorker(std::function<void()> fn) {
  if (current_worker) {
    asio::post(*current_worker, std::move(fn));
  } else {
    fn();
  }
}

Result<std::pair<std::string, uint16_t>> ParseHostPort(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("expected HOST:PORT, got '" + text + "'");
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  const char* begin = text.data() + colon + 1;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, port);
  if (ec != std::errc() || ptr != end || port > 65535) {
    return Status::InvalidArgument("bad port in '" + text + "'");
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

}  // namespace meridian::daemon
