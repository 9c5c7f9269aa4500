// How a trigger hands an event over: to a command's stdin (/bin/sh -c, exit status 0 means
// delivered) or as an HTTP POST (a 2xx reply means delivered), each bounded by timeout_ms.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "daemon/trigger.h"

extern char** environ;

namespace meridian::daemon {

namespace {

using Clock = std::chrono::steady_clock;

Status RunCommand(const TriggerConfig& config, const std::string& event) {
  int in[2];
  if (pipe2(in, O_CLOEXEC) != 0) return Status::IOError(std::string("pipe: ") + strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  // The daemon blocks its shutdown signals and ignores SIGPIPE: the command gets neither.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const char* argv[] = {"/bin/sh", "-c", config.command.c_str(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/bin/sh", &actions, &attr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  if (rc != 0) {
    close(in[1]);
    return Status::IOError(std::string("spawn: ") + strerror(rc));
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(config.timeout_ms);
  // Write the event (non-blocking, so a command that never reads cannot hang us).
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  size_t written = 0;
  bool write_failed = false;
  while (written < event.size() && Clock::now() < deadline) {
    const ssize_t n = write(in[1], event.data() + written, event.size() - written);
    if (n > 0) {
      written += static_cast<size_t>(n);
    } else if (n < 0 && errno == EAGAIN) {
      pollfd p{in[1], POLLOUT, 0};
      poll(&p, 1, 50);
    } else if (n < 0 && errno != EINTR) {
      write_failed = true;  // EPIPE: the command exited without reading everything
      break;
    }
  }
  close(in[1]);
  int status = 0;
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return Status::IOError("waitpid failed");
    if (Clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return Status::IOError("command timed out after " + std::to_string(config.timeout_ms) +
                             " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !write_failed) return Status::Ok();
  if (WIFEXITED(status)) {
    return Status::IOError("command exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  return Status::IOError("command killed by signal " + std::to_string(WTERMSIG(status)));
}

struct Url {
  std::string host, port, target;
};

Result<Url> ParseUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return Status::InvalidArgument("url must start with http://");
  std::string rest = url.substr(kScheme.size());
  Url out;
  const size_t slash = rest.find('/');
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string authority = rest.substr(0, slash);
  const size_t colon = authority.rfind(':');
  out.host = authority.substr(0, colon);
  out.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  if (out.host.empty()) return Status::InvalidArgument("url has no host");
  return out;
}

Status PostEvent(const TriggerConfig& config, const std::string& event) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  using tcp = boost::asio::ip::tcp;
  auto url = ParseUrl(config.url);
  if (!url.ok()) return url.status();
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::milliseconds(config.timeout_ms));
    stream.connect(resolver.resolve(url->host, url->port));
    http::request<http::string_body> req{http::verb::post, url->target, 11};
    req.set(http::field::host, url->host);
    req.set(http::field::content_type, "application/json");
    req.set("X-Meridian-Trigger", config.name);
    req.body() = event;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    const unsigned code = res.result_int();
    if (code >= 200 && code < 300) return Status::Ok();
    return Status::IOError("HTTP " + std::to_string(code));
  } catch (const std::exception& e) {
    return Status::IOError(std::string("POST ") + config.url + ": " + e.what());
  }
}

}  // namespace

Status DeliverEvent(const TriggerConfig& config, const std::string& event) {
  return config.command.empty() ? PostEvent(config, event) : RunCommand(config, event);
}

}  // namespace meridian::daemon
