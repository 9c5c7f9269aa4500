// In-process transports for tests: every MemoryTransport attached to one MemoryBroker sees
// the others' messages, delivered asynchronously (in publish order) on the broker's thread.
// Links between endpoints can be cut to simulate partitions.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "replication/transport.h"

namespace meridian::replication {

// True when `subject` matches `pattern` ('*' matches one token, '>' the rest).
bool SubjectMatches(std::string_view pattern, std::string_view subject);

class MemoryBroker {
 public:
  MemoryBroker();
  ~MemoryBroker();  // stops delivery; transports must be destroyed first

  // A new endpoint named `endpoint` (e.g. the region name).
  std::unique_ptr<Transport> Connect(const std::string& endpoint);

  // Cuts or restores delivery between two endpoints (both directions).
  void SetLink(const std::string& a, const std::string& b, bool up) EXCLUDES(mu_);
  // Disconnects an endpoint from everything (publishes fail, nothing is delivered to it).
  void SetConnected(const std::string& endpoint, bool connected) EXCLUDES(mu_);

  // Blocks until every queued message has been delivered.
  void Drain() EXCLUDES(mu_);

 private:
  friend class MemoryTransport;
  struct Subscription {
    std::string endpoint;
    std::string pattern;
    MessageHandler handler;
  };
  struct Envelope {
    std::string from, subject, payload, reply_to;
  };
  void Enqueue(Envelope e) EXCLUDES(mu_);
  void Subscribe(const std::string& endpoint, std::string pattern, MessageHandler handler)
      EXCLUDES(mu_);
  void Remove(const std::string& endpoint) EXCLUDES(mu_);
  bool Reachable(const std::string& a, const std::string& b) const REQUIRES(mu_);
  bool IsConnected(const std::string& endpoint) const EXCLUDES(mu_);
  std::string NextInbox(const std::string& endpoint) EXCLUDES(mu_);
  void Run() EXCLUDES(mu_);

  mutable Mutex mu_;
  CondVar cv_;
  CondVar idle_cv_;
  std::deque<Envelope> queue_ GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Subscription>> subs_ GUARDED_BY(mu_);
  std::set<std::pair<std::string, std::string>> cut_ GUARDED_BY(mu_);
  std::set<std::string> disconnected_ GUARDED_BY(mu_);
  bool delivering_ GUARDED_BY(mu_) = false;
  bool stop_ GUARDED_BY(mu_) = false;
  uint64_t next_inbox_ GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace meridian::replication
