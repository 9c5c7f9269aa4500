// A deterministic in-process network for the simulation: every message gets a seeded random
// delay (so messages reorder), may be dropped or duplicated, and is held back while its link
// is cut. Request/reply is synchronous (the responder runs on the caller's thread), and
// fails like a timeout when the link is cut or a coin says the request or reply was lost.
// Single-threaded: everything happens inside DeliverUntil() and the transports' calls.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "replication/transport.h"

namespace meridian::sim {

struct NetworkFaults {
  double drop = 0.05;       // probability a message (or a request/reply) is lost
  double duplicate = 0.05;  // probability a message is delivered twice
  int64_t min_delay_ms = 1;
  int64_t max_delay_ms = 40;
};

class SimNetwork {
 public:
  SimNetwork(uint64_t seed, NetworkFaults faults);
  ~SimNetwork();

  // The transport of `node` (one live transport per node; destroying it is the node's crash).
  std::unique_ptr<replication::Transport> Connect(const std::string& node);
  // Cut or heal the link between two nodes (both directions).
  void SetLink(const std::string& a, const std::string& b, bool up);
  void HealAll();
  bool LinkUp(const std::string& a, const std::string& b) const;
  // Delivers, in (due time, send order), every message due at or before `now_ms`.
  void DeliverUntil(int64_t now_ms);
  bool idle() const { return queue_.empty(); }
  uint64_t delivered() const { return delivered_; }
  NetworkFaults& faults() { return faults_; }

 private:
  friend class SimTransport;
  struct Subscription {
    std::string pattern;
    replication::MessageHandler handler;
  };
  struct Endpoint {
    std::vector<Subscription> subscriptions;
  };
  struct InFlight {
    std::string from, to, subject, payload;
  };
  void Publish(const std::string& from, std::string_view subject, std::string_view payload);
  Result<std::string> Request(const std::string& from, std::string_view subject,
                              std::string_view payload);
  bool Coin(double p);

  NetworkFaults faults_;
  std::mt19937_64 rng_;
  int64_t now_ms_ = 0;
  uint64_t order_ = 0;
  uint64_t delivered_ = 0;
  std::map<std::string, Endpoint> endpoints_;
  std::set<std::pair<std::string, std::string>> cut_;
  std::map<std::pair<int64_t, uint64_t>, InFlight> queue_;
  std::string* reply_ = nullptr;  // set while a Request's responder runs
};

}  // namespace meridian::sim
