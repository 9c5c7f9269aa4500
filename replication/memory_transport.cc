#include "replication/memory_transport.h"

#include <future>

namespace meridian::replication {

bool SubjectMatches(std::string_view pattern, std::string_view subject) {
  while (true) {
    auto pdot = pattern.find('.');
    auto sdot = subject.find('.');
    std::string_view ptok = pattern.substr(0, pdot);
    std::string_view stok = subject.substr(0, sdot);
    if (ptok == ">") return !subject.empty();
    if (ptok != "*" && ptok != stok) return false;
    if (pdot == std::string_view::npos || sdot == std::string_view::npos) {
      return pdot == std::string_view::npos && sdot == std::string_view::npos;
    }
    pattern.remove_prefix(pdot + 1);
    subject.remove_prefix(sdot + 1);
  }
}

class MemoryTransport final : public Transport {
 public:
  MemoryTransport(MemoryBroker* broker, std::string endpoint)
      : broker_(broker), endpoint_(std::move(endpoint)) {}
  ~MemoryTransport() override { broker_->Remove(endpoint_); }

  Status Publish(std::string_view subject, std::string_view payload) override {
    if (!connected()) return Status::IOError("disconnected");
    broker_->Enqueue({endpoint_, std::string(subject), std::string(payload), ""});
    return Status::Ok();
  }

  Status Subscribe(std::string_view subject, MessageHandler handler) override {
    broker_->Subscribe(endpoint_, std::string(subject), std::move(handler));
    return Status::Ok();
  }

  Result<std::string> Request(std::string_view subject, std::string_view payload,
                              std::chrono::milliseconds timeout) override {
    if (!connected()) return Status::IOError("disconnected");
    const std::string inbox = broker_->NextInbox(endpoint_);
    auto reply = std::make_shared<std::promise<std::string>>();
    auto answered = std::make_shared<std::once_flag>();
    broker_->Subscribe(endpoint_, inbox, [reply, answered](const InboundMessage& m) {
      std::call_once(*answered, [&] { reply->set_value(std::string(m.payload)); });
    });
    broker_->Enqueue({endpoint_, std::string(subject), std::string(payload), inbox});
    auto future = reply->get_future();
    if (future.wait_for(timeout) != std::future_status::ready)
      return Status::IOError("request timed out");
    return future.get();
  }

  bool connected() const override { return broker_->IsConnected(endpoint_); }
  std::string last_error() const override { return connected() ? "" : "disconnected"; }

 private:
  MemoryBroker* broker_;
  std::string endpoint_;
};

MemoryBroker::MemoryBroker() : thread_([this] { Run(); }) {}

MemoryBroker::~MemoryBroker() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  thread_.join();
}

std::unique_ptr<Transport> MemoryBroker::Connect(const std::string& endpoint) {
  return std::make_unique<MemoryTransport>(this, endpoint);
}

void MemoryBroker::SetLink(const std::string& a, const std::string& b, bool up) {
  MutexLock lock(&mu_);
  if (up) {
    cut_.erase({a, b});
    cut_.erase({b, a});
  } else {
    cut_.insert({a, b});
    cut_.insert({b, a});
  }
}

void MemoryBroker::SetConnected(const std::string& endpoint, bool connected) {
  MutexLock lock(&mu_);
  if (connected) {
    disconnected_.erase(endpoint);
  } else {
    disconnected_.insert(endpoint);
  }
}

bool MemoryBroker::IsConnected(const std::string& endpoint) const {
  MutexLock lock(&mu_);
  return !disconnected_.count(endpoint);
}

std::string MemoryBroker::NextInbox(const std::string& endpoint) {
  MutexLock lock(&mu_);
  return "_INBOX." + endpoint + "." + std::to_string(next_inbox_++);
}

bool MemoryBroker::Reachable(const std::string& a, const std::string& b) const {
  return a == b || (!cut_.count({a, b}) && !disconnected_.count(a) && !disconnected_.count(b));
}

void MemoryBroker::Enqueue(Envelope e) {
  {
    MutexLock lock(&mu_);
    queue_.push_back(std::move(e));
  }
  cv_.SignalAll();
}

void MemoryBroker::Subscribe(const std::string& endpoint, std::string pattern,
                             MessageHandler handler) {
  MutexLock lock(&mu_);
  subs_.push_back(std::make_shared<Subscription>(
      Subscription{endpoint, std::move(pattern), std::move(handler)}));
}

void MemoryBroker::Remove(const std::string& endpoint) {
  MutexLock lock(&mu_);
  while (delivering_) idle_cv_.Wait(mu_);
  std::erase_if(subs_, [&](const auto& s) { return s->endpoint == endpoint; });
}

void MemoryBroker::Drain() {
  MutexLock lock(&mu_);
  while (!queue_.empty() || delivering_) idle_cv_.Wait(mu_);
}

void MemoryBroker::Run() {
  MutexLock lock(&mu_);
  while (true) {
    while (!stop_ && queue_.empty()) cv_.Wait(mu_);
    if (stop_) return;
    Envelope e = std::move(queue_.front());
    queue_.pop_front();
    std::vector<std::shared_ptr<Subscription>> targets;
    for (const auto& s : subs_) {
      if (SubjectMatches(s->pattern, e.subject) && Reachable(e.from, s->endpoint))
        targets.push_back(s);
    }
    delivering_ = true;
    lock.Unlock();
    for (const auto& s : targets) s->handler(InboundMessage{e.subject, e.payload, e.reply_to});
    lock.Lock();
    delivering_ = false;
    idle_cv_.SignalAll();
  }
}

}  // namespace meridian::replication
