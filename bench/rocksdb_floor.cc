// rocksdb_floor -- the floor under a durable write on this machine, NOT a DynamoDB server.
//
// bench/null_server.c's epoll loop (the ceiling) plus the one thing a server that keeps its
// items in RocksDB cannot skip: for every PutItem-shaped request, the item written into a
// RocksDB memtable and its WAL. Nothing else: no JSON parsing (the key is found with memmem),
// no validation, no change log, no replication metadata, no index, no metrics. Every request
// of one epoll round goes into one WriteBatch (the best group commit possible), then every
// reply of the round is written. The database has meridiand's options for its items column
// family (store/store.cc), its memtable (store/memtable.h) included. With "get" it answers
// each request with the value read by key.
//
// With "log" it also does what ../shared/DESIGN.md section 3 puts into every write's batch
// beside the item: a change-log record holding the full new item (here: the request body
// plus 40 bytes standing for the version vector, HLC and dependencies) under a sequential
// key in a second column family, and the seq counter (once per batch) in a third.
//
// request_path_bench.sh runs it beside the ceiling and meridiand: PutItem through meridiand
// cannot be faster than through this server, so its ratio to the ceiling bounds meridiand's.
//
// Usage: rocksdb_floor PORT DATA_DIR [ITEMS [log]]
//   (preloads ITEMS keys k000000.. with 200-byte values; default 100000)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/memtable.h"

namespace {

constexpr size_t kBufSize = 65536;
constexpr char kHeaders[] =
    "Content-Type: application/x-amz-json-1.0\r\nDate: Mon, 07 Dec 2026 03:09:01 GMT\r\n"
    "Server: Server\r\nx-amzn-RequestId: IEO5CCNTMRVVDMZG7WCCC4U56TB2VR4FPOWOZ4UIW47ZM6K3XWDO\r\n"
    "X-Amz-Crc32: 2745614147\r\nConnection: keep-alive\r\n";

struct Conn {
  explicit Conn(int f) : fd(f) {}
  int fd;
  size_t len = 0;
  std::string out;
  char buf[kBufSize];
};

// Length of the first complete request in buf, 0 if incomplete, -1 if unparseable.
long RequestLength(const char* buf, size_t len) {
  const char* end = static_cast<const char*>(memmem(buf, len, "\r\n\r\n", 4));
  if (end == nullptr) return len >= kBufSize ? -1 : 0;
  size_t header = static_cast<size_t>(end - buf) + 4, content = 0;
  for (const char* p = buf; p < end;) {
    const char* nl = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(end - p)));
    if (nl == nullptr) nl = end;
    if (nl - p > 15 && strncasecmp(p, "content-length:", 15) == 0)
      content = strtoul(p + 15, nullptr, 10);
    p = nl + 1;
  }
  if (header + content > kBufSize) return -1;
  return header + content <= len ? static_cast<long>(header + content) : 0;
}

// The item's key: the string after "pk":{"S":" (the bench's workloads all name it so).
std::string_view KeyOf(std::string_view request) {
  static constexpr std::string_view kMarker = R"("pk":{"S":")";
  auto at = request.find(kMarker);
  if (at == std::string_view::npos) return {};
  auto from = at + kMarker.size();
  auto to = request.find('"', from);
  return to == std::string_view::npos ? std::string_view{} : request.substr(from, to - from);
}

void AppendReply(std::string& out, std::string_view body) {
  char head[64];
  int n = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n", body.size());
  out.append(head, static_cast<size_t>(n)).append(kHeaders).append("\r\n").append(body);
}

struct Db {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;  // default (items), log, meta
};

Db Open(const std::string& path) {
  rocksdb::Options options;  // as store/store.cc sets up the items column family
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  options.bytes_per_sync = 1 << 20;
  options.allow_concurrent_memtable_write = false;
  options.write_buffer_size = 32 << 20;
  options.memtable_factory = meridian::store::NewSkipListMemTableFactory();
  options.memtable_prefix_bloom_size_ratio = 0.05;
  options.memtable_whole_key_filtering = true;
  options.compression_per_level.assign(7, rocksdb::kLZ4Compression);
  options.compression_per_level[0] = options.compression_per_level[1] = rocksdb::kNoCompression;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(128 << 20);  // StoreOptions::block_cache_mb
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  (void)rocksdb::Env::Default()->LowerThreadPoolCPUPriority(rocksdb::Env::LOW,
                                                            rocksdb::CpuPriority::kLow);
  rocksdb::ColumnFamilyOptions plain(options);  // meta: no memtable bloom
  plain.memtable_prefix_bloom_size_ratio = 0;
  plain.memtable_whole_key_filtering = false;
  rocksdb::ColumnFamilyOptions log(plain);  // the log: no bloom filter, 16 KiB blocks
  rocksdb::BlockBasedTableOptions log_table = table;
  log_table.filter_policy.reset();
  log_table.block_size = 16 << 10;
  log.table_factory.reset(rocksdb::NewBlockBasedTableFactory(log_table));
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, options}, {"log", log}, {"meta", plain}};
  rocksdb::DB* db = nullptr;
  Db out;
  auto s = rocksdb::DB::Open(options, path, families, &out.cfs, &db);
  if (!s.ok()) {
    fprintf(stderr, "open %s: %s\n", path.c_str(), s.ToString().c_str());
    exit(1);
  }
  out.db.reset(db);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: rocksdb_floor PORT DATA_DIR [ITEMS]\n");
    return 2;
  }
  const int port = atoi(argv[1]);
  const long items = argc > 3 ? atol(argv[3]) : 100000;
  const bool log = argc > 4 && strcmp(argv[4], "log") == 0;
  Db opened = Open(argv[2]);
  rocksdb::DB* db = opened.db.get();
  uint64_t seq = 0;
  {
    rocksdb::WriteBatch batch;
    const std::string value(200, 'x');
    char key[32];
    for (long i = 0; i < items; ++i) {
      snprintf(key, sizeof key, "k%06ld", i);
      batch.Put(key, value);
    }
    db->Write(rocksdb::WriteOptions(), &batch);
  }
  int one = 1;
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(ls, 1024) != 0) {
    perror("bind/listen");
    return 1;
  }
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  epoll_event events[256];
  std::vector<Conn*> ready;
  rocksdb::WriteBatch batch;
  std::string value, record;
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    ready.clear();
    batch.Clear();
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<Conn*>(events[i].data.ptr);
      if (c == nullptr) {
        int fd;
        while ((fd = accept4(ls, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          c = new Conn(fd);
          epoll_event e{};
          e.events = EPOLLIN;
          e.data.ptr = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        }
        continue;
      }
      ssize_t r = read(c->fd, c->buf + c->len, kBufSize - c->len);
      if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        close(c->fd);
        delete c;
        continue;
      }
      c->len += static_cast<size_t>(r);
      long q;
      size_t used = 0;
      while ((q = RequestLength(c->buf + used, c->len - used)) > 0) {
        std::string_view request(c->buf + used, static_cast<size_t>(q));
        auto key = KeyOf(request);
        if (request.find("GetItem") != std::string_view::npos) {
          value.clear();
          db->Get(rocksdb::ReadOptions(), key, &value);
          AppendReply(c->out, value);
        } else {
          auto item = request.substr(request.find("\r\n\r\n") + 4);
          batch.Put(key, item);
          if (log) {
            char seq_key[8];
            uint64_t big = __builtin_bswap64(++seq);
            memcpy(seq_key, &big, sizeof big);
            record.assign(item).append(40, 'm');
            batch.Put(opened.cfs[1], rocksdb::Slice(seq_key, sizeof seq_key), record);
          }
          AppendReply(c->out, "{}");
        }
        used += static_cast<size_t>(q);
      }
      memmove(c->buf, c->buf + used, c->len - used);
      c->len -= used;
      if (q < 0) {
        close(c->fd);
        delete c;
        continue;
      }
      if (!c->out.empty()) ready.push_back(c);
    }
    if (batch.Count() > 0) {
      if (log) batch.Put(opened.cfs[2], "seq", std::to_string(seq));
      db->Write(rocksdb::WriteOptions(), &batch);
    }
    for (Conn* c : ready) {
      if (write(c->fd, c->out.data(), c->out.size()) != static_cast<ssize_t>(c->out.size())) {
        close(c->fd);
        delete c;
        continue;
      }
      c->out.clear();
    }
  }
}
