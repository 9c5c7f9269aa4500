#include "replication/nats_transport.h"

#include <nats/nats.h>

#include <atomic>
#include <vector>

#include "common/mutex.h"

namespace meridian::replication {
namespace {

Status NatsError(const char* what, natsStatus s) {
  return Status::IOError(std::string(what) + ": " + natsStatus_GetText(s));
}

class NatsTransport final : public Transport {
 public:
  ~NatsTransport() override {
    for (auto* sub : subs_) {
      natsSubscription_Unsubscribe(sub);
      natsSubscription_Destroy(sub);
    }
    if (conn_) {
      natsConnection_Close(conn_);
      natsConnection_Destroy(conn_);
    }
    if (opts_) natsOptions_Destroy(opts_);
  }

  Status Open(const NatsTransportOptions& options) {
    natsStatus s = natsOptions_Create(&opts_);
    if (s != NATS_OK) return NatsError("nats options", s);
    natsOptions_SetURL(opts_, options.url.c_str());
    natsOptions_SetName(opts_, options.name.c_str());
    natsOptions_SetSendAsap(opts_, true);  // else ~1 ms added per round trip
    natsOptions_SetAllowReconnect(opts_, true);
    natsOptions_SetMaxReconnect(opts_, -1);
    natsOptions_SetReconnectWait(opts_, options.reconnect_wait_ms);
    // With a connected callback the first connect does not block: a region whose NATS is
    // down still starts (and reports nats_unreachable) and connects when NATS comes up.
    natsOptions_SetRetryOnFailedConnect(opts_, true, &NatsTransport::OnConnected, this);
    natsOptions_SetReconnectBufSize(opts_, 64 * 1024 * 1024);
    natsOptions_SetDisconnectedCB(opts_, &NatsTransport::OnDisconnected, this);
    natsOptions_SetReconnectedCB(opts_, &NatsTransport::OnReconnected, this);
    natsOptions_SetTimeout(opts_, 2000);
    natsOptions_SetPingInterval(opts_, 2000);
    MERIDIAN_RETURN_IF_ERROR(ApplySecurity(options));
    s = natsConnection_Connect(&conn_, opts_);
    if (s == NATS_NOT_YET_CONNECTED) {
      SetError("not yet connected to " + options.url);
      return Status::Ok();
    }
    if (s != NATS_OK) return NatsError("nats connect", s);
    connected_ = true;
    return Status::Ok();
  }

  Status ApplySecurity(const NatsTransportOptions& o) {
    auto check = [](const char* what, natsStatus s) {
      return s == NATS_OK ? Status::Ok() : NatsError(what, s);
    };
    const bool tls = !o.ca_file.empty() || !o.cert_file.empty() || o.url.rfind("tls://", 0) == 0;
    if (tls) MERIDIAN_RETURN_IF_ERROR(check("nats tls", natsOptions_SetSecure(opts_, true)));
    if (!o.ca_file.empty()) {
      MERIDIAN_RETURN_IF_ERROR(
          check(("nats_ca " + o.ca_file).c_str(),
                natsOptions_LoadCATrustedCertificates(opts_, o.ca_file.c_str())));
    }
    if (o.cert_file.empty() != o.key_file.empty())
      return Status::InvalidArgument("nats_cert and nats_key go together");
    if (!o.cert_file.empty()) {
      MERIDIAN_RETURN_IF_ERROR(
          check(("nats_cert " + o.cert_file).c_str(),
                natsOptions_LoadCertificatesChain(opts_, o.cert_file.c_str(), o.key_file.c_str())));
    }
    if (!o.user.empty()) {
      MERIDIAN_RETURN_IF_ERROR(
          check("nats user", natsOptions_SetUserInfo(opts_, o.user.c_str(), o.password.c_str())));
    }
    if (!o.token.empty())
      MERIDIAN_RETURN_IF_ERROR(check("nats token", natsOptions_SetToken(opts_, o.token.c_str())));
    if (!o.creds_file.empty()) {
      MERIDIAN_RETURN_IF_ERROR(
          check(("nats_creds " + o.creds_file).c_str(),
                natsOptions_SetUserCredentialsFromFiles(opts_, o.creds_file.c_str(), nullptr)));
    }
    return Status::Ok();
  }

  Status Publish(std::string_view subject, std::string_view payload) override {
    natsStatus s = natsConnection_Publish(conn_, std::string(subject).c_str(), payload.data(),
                                          static_cast<int>(payload.size()));
    return s == NATS_OK ? Status::Ok() : NatsError("publish", s);
  }

  Status Subscribe(std::string_view subject, MessageHandler handler) override {
    auto* holder = new MessageHandler(std::move(handler));
    natsSubscription* sub = nullptr;
    natsStatus s = natsConnection_Subscribe(&sub, conn_, std::string(subject).c_str(),
                                            &NatsTransport::OnMessage, holder);
    if (s != NATS_OK) {
      delete holder;
      return NatsError("subscribe", s);
    }
    // Replication batches can arrive in bursts: allow a deep queue before nats.c drops.
    natsSubscription_SetPendingLimits(sub, 1 << 20, 1 << 30);
    MutexLock lock(&mu_);
    subs_.push_back(sub);
    handlers_.emplace_back(holder);
    return Status::Ok();
  }

  Result<std::string> Request(std::string_view subject, std::string_view payload,
                              std::chrono::milliseconds timeout) override {
    natsMsg* reply = nullptr;
    natsStatus s =
        natsConnection_Request(&reply, conn_, std::string(subject).c_str(), payload.data(),
                               static_cast<int>(payload.size()), timeout.count());
    if (s != NATS_OK) return NatsError("request", s);
    std::string out(natsMsg_GetData(reply), static_cast<size_t>(natsMsg_GetDataLength(reply)));
    natsMsg_Destroy(reply);
    return out;
  }

  bool connected() const override {
    return conn_ && natsConnection_Status(conn_) == NATS_CONN_STATUS_CONNECTED;
  }

  std::string last_error() const override {
    MutexLock lock(&mu_);
    return connected() ? std::string() : last_error_;
  }

 private:
  void SetError(std::string e) {
    MutexLock lock(&mu_);
    last_error_ = std::move(e);
  }
  static void OnDisconnected(natsConnection*, void* self) {
    static_cast<NatsTransport*>(self)->SetError("disconnected from NATS");
  }
  static void OnConnected(natsConnection*, void* self) {
    static_cast<NatsTransport*>(self)->SetError("");
  }
  static void OnReconnected(natsConnection*, void* self) {
    static_cast<NatsTransport*>(self)->SetError("");
  }
  static void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    const auto& handler = *static_cast<MessageHandler*>(closure);
    const char* reply = natsMsg_GetReply(msg);
    InboundMessage m{
        natsMsg_GetSubject(msg),
        std::string_view(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))),
        reply ? std::string_view(reply) : std::string_view()};
    handler(m);
    natsMsg_Destroy(msg);
  }

  natsOptions* opts_ = nullptr;
  natsConnection* conn_ = nullptr;
  std::atomic<bool> connected_{false};
  mutable Mutex mu_;
  std::vector<natsSubscription*> subs_ GUARDED_BY(mu_);
  std::vector<std::unique_ptr<MessageHandler>> handlers_ GUARDED_BY(mu_);
  std::string last_error_ GUARDED_BY(mu_);
};

}  // namespace

Result<std::unique_ptr<Transport>> ConnectNats(const NatsTransportOptions& options) {
  auto t = std::make_unique<NatsTransport>();
  MERIDIAN_RETURN_IF_ERROR(t->Open(options));
  return std::unique_ptr<Transport>(std::move(t));
}

}  // namespace meridian::replication
