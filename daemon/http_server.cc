// HTTP/1.1 server: one io_context per worker thread (no strands, no locks on the hot path);
// the acceptor hands each new connection to the next worker.
//
// Per connection: bytes are read into one flat buffer; each complete request in it is parsed
// in place (Beast's basic_parser, whose callbacks record views into the buffer) and handed to
// the handler without copying. A request not yet complete is parsed again from its start once
// more bytes arrive, so no partial state outlives a read. Every complete request in the buffer
// is dispatched before anything is written (up to max_pipelined); replies fill their slots in
// request order and the ready ones at the head go out in one write. After a write, a plain
// socket waits for readability and then reads, instead of trying a read that would only find
// the socket empty.
#include "daemon/http_server.h"

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>

#include <atomic>
#include <charconv>
#include <deque>
#include <optional>
#include <thread>

#include "common/thread_name.h"
#include "daemon/http_request_parser.h"

namespace meridian::daemon {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Socket = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;
using TlsStream = asio::ssl::stream<Socket>;

namespace {

thread_local asio::io_context* current_worker = nullptr;

constexpr uint32_t kHeaderLimit = 64 * 1024;
constexpr size_t kReadChunk = size_t{16} * 1024;
constexpr size_t kMaxIdleBuffer = 1 << 20;  // a larger read buffer is freed once empty

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

void AppendNumber(uint64_t n, std::string* out) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, n);
  out->append(buf, r.ptr);
}

void AppendResponse(const HttpResponse& r, bool keep_alive, std::string* out) {
  out->append("HTTP/1.1 ");
  AppendNumber(static_cast<uint64_t>(r.status), out);
  out->push_back(' ');
  out->append(Reason(r.status));
  out->append("\r\nContent-Type: ");
  out->append(r.content_type);
  out->append("\r\nContent-Length: ");
  AppendNumber(r.body.size(), out);
  out->append("\r\n");
  out->append(r.headers);
  out->append(keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
  out->append(r.body);
}

// One request parsed in place: views into the buffer handed to put().
class RequestParser final : public http::basic_parser<true> {
 public:
  RequestParser(std::vector<HttpHeader>* headers, std::string* scratch)
      : headers_(headers), scratch_(scratch) {
    headers_->clear();
    header_limit(kHeaderLimit);
  }

  std::string_view method, target, amz_target;
  // The body: one view into the buffer when it arrived as one piece (a Content-Length body
  // wholly in the buffer), else the pieces gathered in the scratch string.
  std::string_view body() const { return pieces_ > 1 ? std::string_view(*scratch_) : body_; }

 private:
  static std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

  void on_request_impl(http::verb, beast::string_view method_text, beast::string_view target_text,
                       int, beast::error_code&) override {
    method = View(method_text);
    target = View(target_text);
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
  void on_field_impl(http::field name, beast::string_view name_text, beast::string_view value,
                     beast::error_code&) override {
    headers_->emplace_back(View(name_text), View(value));
    if (name == http::field::unknown && beast::iequals(name_text, "X-Amz-Target")) {
      amz_target = View(value);
    }
  }
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<uint64_t>&, beast::error_code&) override {}
  size_t on_body_impl(beast::string_view piece, beast::error_code&) override {
    AddPiece(View(piece));
    return piece.size();
  }
  void on_chunk_header_impl(uint64_t, beast::string_view, beast::error_code&) override {}
  size_t on_chunk_body_impl(uint64_t, beast::string_view piece, beast::error_code&) override {
    AddPiece(View(piece));
    return piece.size();
  }
  void on_finish_impl(beast::error_code&) override {}

  void AddPiece(std::string_view piece) {
    if (piece.empty()) return;
    if (++pieces_ == 1) {
      body_ = piece;
      return;
    }
    if (pieces_ == 2) scratch_->assign(body_);
    scratch_->append(piece);
  }

  std::vector<HttpHeader>* headers_;
  std::string* scratch_;
  std::string_view body_;
  int pieces_ = 0;
};

}  // namespace

// A connection as the responders see it: replies come back through Complete, on any thread.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  virtual ~Connection() = default;
  virtual void Complete(uint64_t slot, HttpResponse response) = 0;
};

void HttpResponder::operator()(HttpResponse response) const {
  connection_->Complete(slot_, std::move(response));
}

namespace {

// One connection, over a plain socket or a TLS stream. Everything runs on its worker.
template <class Stream>
class Session final : public Connection {
 public:
  Session(Stream stream, const HttpHandler& handler, const HttpServerOptions& options)
      : socket_(std::move(stream)), handler_(handler), options_(options) {}

  void Start() {
    boost::system::error_code ec;
    beast::get_lowest_layer(socket_).set_option(tcp::no_delay(true), ec);
    // Reads after a readiness wait must never block the worker.
    beast::get_lowest_layer(socket_).non_blocking(true, ec);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      socket_.async_handshake(asio::ssl::stream_base::server,
                              [self = Self()](boost::system::error_code e) {
                                if (e) return self->Close();
                                self->Read();
                              });
    } else {
      Read();
    }
  }

  void Complete(uint64_t slot, HttpResponse response) override {
    asio::dispatch(socket_.get_executor(),
                   [self = Self(), slot, response = std::move(response)]() mutable {
                     self->Fill(slot, std::move(response));
                   });
  }

 private:
  struct Slot {
    bool ready = false;
    bool keep_alive = true;
    std::string bytes;  // the serialized reply, when it is ready but not at the head
  };

  std::shared_ptr<Session> Self() {
    return std::static_pointer_cast<Session>(this->shared_from_this());
  }

  void Read() {
    if (reading_ || closing_) return;
    reading_ = true;
    if constexpr (std::is_same_v<Stream, Socket>) {
      // Wait for data, then read it: no read attempt that can only fail with EAGAIN.
      socket_.async_wait(Socket::wait_read, [self = Self()](boost::system::error_code ec) {
        if (ec) return self->Close();
        const size_t n = self->socket_.read_some(self->buffer_.prepare(self->ReadSize()), ec);
        self->OnRead(ec, n);
      });
    } else {
      socket_.async_read_some(
          buffer_.prepare(ReadSize()),
          [self = Self()](boost::system::error_code ec, size_t n) { self->OnRead(ec, n); });
    }
  }

  size_t ReadSize() const {
    return std::max(kReadChunk, std::min(wanted_, options_.max_body_bytes + kHeaderLimit) -
                                    std::min(buffer_.size(), wanted_));
  }

  void OnRead(boost::system::error_code ec, size_t n) {
    reading_ = false;
    if (ec == asio::error::would_block || ec == asio::error::try_again) return Read();
    if (ec) return Close();
    buffer_.commit(n);
    Parse();
  }

  // Dispatches every complete request in the buffer, then writes what is ready and reads on.
  void Parse() {
    batching_ = true;
    while (!closing_ && pending_.size() < options_.max_pipelined && buffer_.size() > 0) {
      const auto data = buffer_.data();
      FastRequest fast;
      if (ParseCommonRequest(std::string_view(static_cast<const char*>(data.data()), data.size()),
                             kHeaderLimit, options_.max_body_bytes, &headers_, &fast)) {
        wanted_ = 0;
        Dispatch(fast.method, fast.target, fast.amz_target, fast.body, fast.keep_alive);
        buffer_.consume(fast.size);
        continue;
      }
      RequestParser parser(&headers_, &scratch_);
      parser.body_limit(options_.max_body_bytes);
      parser.eager(true);  // header and body in one put()
      beast::error_code ec;
      const size_t used = parser.put(asio::const_buffer(data.data(), data.size()), ec);
      // Incomplete: Beast says need_more, or stops having consumed part of the body.
      if (ec == http::error::need_more || (!ec && !parser.is_done())) {
        // Parsed again from the start once more bytes are in: ask for at least the rest of
        // the announced body, so a large one arrives in few reads.
        const auto length = parser.is_header_done() ? parser.content_length() : boost::none;
        // (content_length() is what remains of the body after the `used` bytes.)
        wanted_ = length ? used + *length : buffer_.size() + kReadChunk;
        if (parser.is_header_done()) MaybeContinue(parser);
        break;
      }
      wanted_ = 0;
      if (ec == http::error::body_limit) {
        Fail(413, "Request size exceeded the maximum allowed size");
        break;
      }
      if (ec == http::error::header_limit) {
        Fail(431, "Request header fields too large");
        break;
      }
      if (ec || !parser.is_done()) {
        Fail(400, "malformed HTTP request");
        break;
      }
      Dispatch(parser.method, parser.target, parser.amz_target, parser.body(), parser.keep_alive());
      buffer_.consume(used);
    }
    if (buffer_.size() == 0 && buffer_.capacity() > kMaxIdleBuffer) buffer_.shrink_to_fit();
    batching_ = false;
    StartWrite();
    ReadIfIdle();
  }

  // Reads on when the pipeline has room and the buffer holds no complete request.
  void ReadIfIdle() {
    if (closing_ || reading_ || pending_.size() >= options_.max_pipelined) return;
    if (pending_.empty() || wanted_ > 0 || buffer_.size() == 0) Read();
  }

  // "Expect: 100-continue": the client waits for this before sending the body.
  void MaybeContinue(const RequestParser& parser) {
    if (continued_slot_ == next_slot_) return;
    for (const auto& [name, value] : headers_) {
      if (beast::iequals(name, "Expect") && beast::iequals(value, "100-continue")) {
        continued_slot_ = next_slot_;
        staging_.append("HTTP/1.1 100 Continue\r\n\r\n");
        StartWrite();
        return;
      }
    }
    (void)parser;
  }

  void Dispatch(std::string_view method, std::string_view target, std::string_view amz_target,
                std::string_view body, bool keep_alive) {
    const uint64_t slot = next_slot_++;
    pending_.emplace_back();
    pending_.back().keep_alive = keep_alive;
    HttpRequest request{method, target, amz_target, body, std::span<const HttpHeader>(headers_)};
    try {
      handler_(request, HttpResponder(this->shared_from_this(), slot));
    } catch (const std::exception& e) {
      spdlog::error("http handler threw: {}", e.what());
      Fill(slot, HttpResponse{500, "application/json", R"({"message":"internal error"})", {}});
    }
  }

  // A request that cannot be parsed: answered after the replies before it, then the end.
  void Fail(int status, std::string_view message) {
    const uint64_t slot = next_slot_++;
    pending_.emplace_back();
    pending_.back().keep_alive = false;
    closing_ = true;
    if (status == 413) {
      Fill(slot, HttpResponse{413,
                              "application/x-amz-json-1.0",
                              R"({"__type":"com.amazon.coral.validate#ValidationException",)"
                              R"("message":")" +
                                  std::string(message) + "\"}",
                              {}});
    } else {
      Fill(slot, HttpResponse{status, "text/plain", std::string(message) + "\n", {}});
    }
  }

  // A reply is ready: staged for the next write when all before it are, else kept until then.
  void Fill(uint64_t slot, HttpResponse response) {
    Slot& s = pending_[static_cast<size_t>(slot - first_slot_)];
    s.ready = true;
    if (slot != first_slot_) {
      AppendResponse(response, s.keep_alive, &s.bytes);
      return;
    }
    AppendResponse(response, s.keep_alive, &staging_);
    PopHead();
    while (!pending_.empty() && pending_.front().ready && !close_after_write_) {
      staging_ += pending_.front().bytes;
      PopHead();
    }
    if (!batching_) StartWrite();
  }

  void PopHead() {
    close_after_write_ = close_after_write_ || !pending_.front().keep_alive;
    pending_.pop_front();
    ++first_slot_;
  }

  // Writes everything staged, in one write.
  void StartWrite() {
    if (writing_ || staging_.empty()) return;
    writing_ = true;
    out_.swap(staging_);
    staging_.clear();
    const bool last = close_after_write_;
    asio::async_write(socket_, asio::buffer(out_),
                      [self = Self(), last](boost::system::error_code ec, size_t) {
                        self->writing_ = false;
                        if (ec || last) return self->Close();
                        if (!self->staging_.empty()) return self->StartWrite();
                        if (self->buffer_.size() > 0 && self->wanted_ == 0) return self->Parse();
                        self->ReadIfIdle();
                      });
  }

  void Close() {
    closing_ = true;
    boost::system::error_code ec;
    auto& socket = beast::get_lowest_layer(socket_);
    socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.close(ec);
  }

  Stream socket_;
  beast::flat_buffer buffer_;
  std::vector<HttpHeader> headers_;  // of the request being dispatched (reused)
  std::string scratch_;              // its body, when it came in pieces (reused)
  std::string out_;                  // the write in progress (reused)
  std::string staging_;              // replies ready in order, for the next write (reused)
  std::deque<Slot> pending_;         // dispatched requests whose reply is not staged, oldest first
  uint64_t first_slot_ = 0;          // slot number of pending_.front()
  uint64_t next_slot_ = 0;
  uint64_t continued_slot_ = UINT64_MAX;  // the request a "100 Continue" went to
  size_t wanted_ = 0;  // bytes the buffer should hold before parsing again (0: any)
  bool reading_ = false;
  bool writing_ = false;
  bool batching_ = false;           // in Parse: stage replies, write once at the end
  bool close_after_write_ = false;  // a staged reply ends the connection
  bool closing_ = false;
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

std::string_view FindHeader(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (beast::iequals(key, name)) return value;
  }
  return {};
}

HttpHandler SyncHandler(std::function<HttpResponse(const HttpRequest&)> handler) {
  return [handler = std::move(handler)](const HttpRequest& request, const HttpResponder& respond) {
    respond(handler(request));
  };
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
