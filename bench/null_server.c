/* null_server.c -- calibration target for the load generator, NOT a DynamoDB server.
 * (../shared/bench/null-server.c as given with issue 20; built as is it is "the ceiling".
 * Built with -DDYNAMODB_REPLY it answers with a reply of the size and headers meridiand's
 * GetItem reply has -- Date, Server, x-amzn-RequestId, X-Amz-Crc32 and a 160-byte item --
 * which shows what the load generator itself spends on a DynamoDB-shaped reply.)
 * Single-threaded epoll HTTP/1.1 keep-alive server that answers every request with a fixed
 * 200 GetItem-shaped JSON body. Running the harness against it shows the highest request
 * rate the generator itself can produce on its pinned cpu(s); a real server measured close
 * to that ceiling is generator-bound, not server-bound.
 * Build: cc -O2 -o null-server null-server.c     Run: null-server PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef DYNAMODB_REPLY
#define BODY "{\"Item\":{\"n\":{\"N\":\"0\"},\"pk\":{\"S\":\"k000123\"},\"val\":{\"S\":\"" \
  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}}"
#define HEADERS "Date: Mon, 07 Dec 2026 03:09:01 GMT\r\nServer: Server\r\n" \
  "x-amzn-RequestId: IEO5CCNTMRVVDMZG7WCCC4U56TB2VR4FPOWOZ4UIW47ZM6K3XWDO\r\n" \
  "X-Amz-Crc32: 4155920767\r\nConnection: keep-alive\r\n"
#else
#define BODY "{\"Item\":{\"pk\":{\"S\":\"p1\"},\"sk\":{\"S\":\"s1\"}}}"
#define HEADERS ""
#endif
#define BUFSZ 65536

struct conn { int fd; size_t len; char buf[BUFSZ]; };

static char resp[1024];
static size_t resp_len;

/* Length of the first complete request in buf, 0 if incomplete, -1 if unparseable. */
static long request_len(const char *buf, size_t len) {
  const char *end = memmem(buf, len, "\r\n\r\n", 4);
  if (!end) return len >= BUFSZ ? -1 : 0;
  size_t hdr = (size_t)(end - buf) + 4, clen = 0;
  for (const char *p = buf; p < end; ) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) nl = end;
    if ((size_t)(nl - p) > 15 && strncasecmp(p, "content-length:", 15) == 0) clen = strtoul(p + 15, NULL, 10);
    p = nl + 1;
  }
  if (hdr + clen > BUFSZ) return -1;
  return hdr + clen <= len ? (long)(hdr + clen) : 0;
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8199, one = 1;
  resp_len = (size_t)snprintf(resp, sizeof resp,
    "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: %zu\r\n%s\r\n%s",
    strlen(BODY), HEADERS, BODY);
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1024)) { perror("bind/listen"); return 1; }
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL }, evs[256];
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      struct conn *c = evs[i].data.ptr;
      if (!c) { /* accept everything pending */
        int fd;
        while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          c = calloc(1, sizeof *c); c->fd = fd;
          struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        }
        continue;
      }
      ssize_t r = read(c->fd, c->buf + c->len, BUFSZ - c->len);
      if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        close(c->fd); free(c); continue;
      }
      c->len += (size_t)r;
      long q;
      int bad = 0;
      while ((q = request_len(c->buf, c->len)) != 0) {
        if (q < 0) { bad = 1; break; }
        /* responses are tiny; a short write on loopback would only happen under extreme
           backpressure, which the keep-alive request/response pattern here never creates */
        if (write(c->fd, resp, resp_len) != (ssize_t)resp_len) { bad = 1; break; }
        memmove(c->buf, c->buf + q, c->len - (size_t)q); c->len -= (size_t)q;
      }
      if (bad) { close(c->fd); free(c); }
    }
  }
}
