// The only way replication talks to the network (docs/design.md section 4). Implementations:
// NatsTransport (nats.c, production) and MemoryTransport (tests, simulation).
//
// Subjects follow NATS conventions: '.'-separated tokens, '*' matches one token in
// subscriptions. Payloads are opaque bytes (Cap'n Proto messages).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace meridian::replication {

struct InboundMessage {
  std::string_view subject;
  std::string_view payload;
  std::string_view reply_to;  // empty unless the sender awaits a reply (Request)
  uint32_t peer = 0;  // the region id that signed it (peer_auth.h); 0: peers not authenticated
};

// Called on a transport thread; must be thread-safe and must not block for long.
using MessageHandler = std::function<void(const InboundMessage& message)>;

class Transport {
 public:
  virtual ~Transport() = default;

  // Fire-and-forget. IOError when not connected (the message is dropped: replication
  // recovers from gaps by fetching).
  virtual Status Publish(std::string_view subject, std::string_view payload) = 0;
  // Subscribes for the transport's lifetime.
  virtual Status Subscribe(std::string_view subject, MessageHandler handler) = 0;
  // Request/reply: the first reply, or IOError on timeout / no responder / disconnected.
  virtual Result<std::string> Request(std::string_view subject, std::string_view payload,
                                      std::chrono::milliseconds timeout) = 0;
  // True while connected to the server (always true for in-memory transports).
  virtual bool connected() const = 0;
  // Human-readable last connection problem (empty when none).
  virtual std::string last_error() const = 0;
};

}  // namespace meridian::replication
