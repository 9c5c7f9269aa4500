// Transport over a NATS server with nats.c. Reconnects forever (the region's NATS may be
// restarted); publishes while disconnected are buffered by nats.c up to its reconnect
// buffer and otherwise fail (replication then recovers by fetching gaps).
#pragma once

#include <memory>
#include <string>

#include "replication/transport.h"

namespace meridian::replication {

struct NatsTransportOptions {
  std::string url;   // nats://host:port
  std::string name;  // connection name shown by the server
  int reconnect_wait_ms = 250;
  // TLS (any of them set, or a tls:// URL, turns it on): the CA that signed the server's
  // certificate, and this client's certificate and key when the server asks for one.
  std::string ca_file, cert_file, key_file;
  // Credentials: user/password, a token, or an nkeys/JWT credentials file (nsc's .creds).
  std::string user, password, token, creds_file;
};

// Connects (retrying in the background when the server is not up yet). IOError only for
// unusable options.
Result<std::unique_ptr<Transport>> ConnectNats(const NatsTransportOptions& options);

}  // namespace meridian::replication
