// In-process transports for tests: every MemoryTransport attached to one MemoryBroker sees
// the others' messages, delivered asynchronously (in publish order) on the broker's thread.
// Links between endpoints can be cut to simulate partitions.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

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
  void SetLink(const std::string& a, const std::string& b, bool up);
  // Disconnects an endpoint from everything (publishes fail, nothing is delivered to it).
  void SetConnected(const std::string& endpoint, bool connected);

  // Blocks until every queued message has been delivered.
  void Drain();

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
  void Enqueue(Envelope e);
  void Subscribe(const std::string& endpoint, std::string pattern, MessageHandler handler);
  void Remove(const std::string& endpoint);
  bool Reachable(const std::string& a, const std::string& b) const;  // REQUIRES: mu_ held
  bool IsConnected(const std::string& endpoint) const;
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Envelope> queue_;                           // GUARDED_BY(mu_)
  std::vector<std::shared_ptr<Subscription>> subs_;      // GUARDED_BY(mu_)
  std::set<std::pair<std::string, std::string>> cut_;    // GUARDED_BY(mu_)
  std::set<std::string> disconnected_;                   // GUARDED_BY(mu_)
  bool delivering_ = false;                              // GUARDED_BY(mu_)
  bool stop_ = false;                                    // GUARDED_BY(mu_)
  uint64_t next_inbox_ = 0;                              // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace meridian::replication
