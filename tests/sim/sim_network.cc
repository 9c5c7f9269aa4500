#include "tests/sim/sim_network.h"

#include "replication/memory_transport.h"  // SubjectMatches

namespace meridian::sim {

using replication::InboundMessage;
using replication::MessageHandler;
using replication::SubjectMatches;

class SimTransport final : public replication::Transport {
 public:
  SimTransport(SimNetwork* net, std::string node) : net_(net), node_(std::move(node)) {}
  ~SimTransport() override { net_->endpoints_.erase(node_); }
  Status Publish(std::string_view subject, std::string_view payload) override {
    net_->Publish(node_, subject, payload);
    return Status::Ok();
  }
  Status Subscribe(std::string_view subject, MessageHandler handler) override {
    net_->endpoints_[node_].subscriptions.push_back({std::string(subject), std::move(handler)});
    return Status::Ok();
  }
  Result<std::string> Request(std::string_view subject, std::string_view payload,
                              std::chrono::milliseconds) override {
    return net_->Request(node_, subject, payload);
  }
  bool connected() const override { return true; }
  std::string last_error() const override { return {}; }

 private:
  SimNetwork* net_;
  std::string node_;
};

SimNetwork::SimNetwork(uint64_t seed, NetworkFaults faults) : faults_(faults), rng_(seed) {}
SimNetwork::~SimNetwork() = default;

std::unique_ptr<replication::Transport> SimNetwork::Connect(const std::string& node) {
  endpoints_[node] = Endpoint{};
  return std::make_unique<SimTransport>(this, node);
}

void SimNetwork::SetLink(const std::string& a, const std::string& b, bool up) {
  auto key = a < b ? std::pair(a, b) : std::pair(b, a);
  if (up) {
    cut_.erase(key);
  } else {
    cut_.insert(key);
  }
}

void SimNetwork::HealAll() { cut_.clear(); }

bool SimNetwork::LinkUp(const std::string& a, const std::string& b) const {
  return !cut_.count(a < b ? std::pair(a, b) : std::pair(b, a));
}

bool SimNetwork::Coin(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

void SimNetwork::Publish(const std::string& from, std::string_view subject,
                         std::string_view payload) {
  if (subject.starts_with("_INBOX.")) {  // a responder's reply to the running Request
    if (reply_) *reply_ = std::string(payload);
    return;
  }
  for (const auto& [node, endpoint] : endpoints_) {
    if (node == from) continue;
    bool wanted = false;
    for (const auto& sub : endpoint.subscriptions)
      wanted = wanted || SubjectMatches(sub.pattern, subject);
    if (!wanted || !LinkUp(from, node) || Coin(faults_.drop)) continue;
    const int copies = Coin(faults_.duplicate) ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      const int64_t delay =
          std::uniform_int_distribution<int64_t>(faults_.min_delay_ms, faults_.max_delay_ms)(rng_);
      queue_[{now_ms_ + delay, order_++}] =
          InFlight{from, node, std::string(subject), std::string(payload)};
    }
  }
}

Result<std::string> SimNetwork::Request(const std::string& from, std::string_view subject,
                                        std::string_view payload) {
  for (auto& [node, endpoint] : endpoints_) {
    if (node == from) continue;
    for (auto& sub : endpoint.subscriptions) {
      if (!SubjectMatches(sub.pattern, subject)) continue;
      if (!LinkUp(from, node) || Coin(faults_.drop)) return Status::IOError("request timed out");
      std::string reply;
      std::string* outer = std::exchange(reply_, &reply);
      // Copy the handler: the responder may not touch subscriptions, but be safe.
      MessageHandler handler = sub.handler;
      handler(InboundMessage{subject, payload, "_INBOX.sim"});
      reply_ = outer;
      if (reply.empty() || Coin(faults_.drop)) return Status::IOError("request timed out");
      return reply;
    }
  }
  return Status::IOError("no responders");
}

void SimNetwork::DeliverUntil(int64_t now_ms) {
  now_ms_ = std::max(now_ms_, now_ms);
  while (!queue_.empty() && queue_.begin()->first.first <= now_ms_) {
    InFlight m = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    auto endpoint = endpoints_.find(m.to);
    if (endpoint == endpoints_.end() || !LinkUp(m.from, m.to))
      continue;  // crashed, or cut meanwhile
    ++delivered_;
    // Handlers may publish (queueing more); copy the list first.
    auto subscriptions = endpoint->second.subscriptions;
    for (auto& sub : subscriptions) {
      if (SubjectMatches(sub.pattern, m.subject))
        sub.handler(InboundMessage{m.subject, m.payload, {}});
    }
  }
}

}  // namespace meridian::sim
