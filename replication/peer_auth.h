// Peer authentication: every replication message a region sends (change batches,
// heartbeats, fetch/snapshot/digest requests and their replies) is signed with the region's
// Ed25519 key, and a region accepts only messages signed by a configured region: one whose
// public key is in peer_keys_dir as <region-name>.pub (the directory is read again, at most
// every 5 s, when a message names a region it does not know: adding a region means adding its
// key to every region's directory, without restarts). A message from any other process, or
// one altered on the way, is dropped and counted; so is a message whose payload claims to
// come from another region than the one that signed it (Replicator checks `peer`).
//
// Envelope, appended to the Cap'n Proto payload (the payload itself is unchanged):
//   name bytes | u8 name length | u32 region id (LE) | 64-byte signature | "MPA1"
// The signature covers a context string, the region id, the name and the payload. Replays
// of a whole signed message are possible on a network without TLS; replication messages are
// idempotent (change batches are keyed by origin sequence), so a replay changes nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/mutex.h"
#include "common/status.h"
#include "replication/transport.h"

namespace meridian::replication {

struct PeerIdentity {
  std::string region;
  uint32_t region_id = 0;
};

// Why messages were rejected, counted since startup.
struct PeerAuthCounters {
  uint64_t unsigned_messages = 0;  // no envelope at all (a process without a key)
  uint64_t unknown_region = 0;     // signed by a region that is not configured
  uint64_t bad_signature = 0;      // altered, or signed with another key
  uint64_t identity_conflict = 0;  // a region id used under two names, or the reverse
  uint64_t impersonation = 0;      // payload claims another region than its signer
  uint64_t total() const {
    return unsigned_messages + unknown_region + bad_signature + identity_conflict + impersonation;
  }
};

class PeerAuthenticator {
 public:
  // private_key_file: this region's Ed25519 private key (PEM, `openssl genpkey -algorithm
  // ed25519`); peer_keys_dir: <region>.pub public keys (PEM) of every configured region,
  // this one included.
  static Result<std::unique_ptr<PeerAuthenticator>> Load(const PeerIdentity& self,
                                                         const std::string& private_key_file,
                                                         const std::string& peer_keys_dir);
  ~PeerAuthenticator();

  std::string Seal(std::string_view payload) const;
  // The payload without its envelope and who signed it; a non-OK Status (already counted)
  // when the message must be dropped.
  Result<std::pair<std::string_view, uint32_t>> Open(std::string_view sealed);

  void CountImpersonation() { impersonation_.fetch_add(1, std::memory_order_relaxed); }
  PeerAuthCounters counters() const;
  size_t configured_regions() const EXCLUDES(keys_mu_);

 private:
  struct Key;
  PeerAuthenticator() = default;

  using KeyMap = std::map<std::string, std::shared_ptr<Key>, std::less<>>;  // by region name
  static Result<KeyMap> ReadKeys(const std::string& dir);
  std::shared_ptr<Key> PublicKey(std::string_view region) EXCLUDES(keys_mu_);

  PeerIdentity self_;
  std::string keys_dir_;
  std::unique_ptr<Key> private_key_;
  mutable SharedMutex keys_mu_;
  KeyMap public_keys_ GUARDED_BY(keys_mu_);
  int64_t last_reload_ms_ GUARDED_BY(keys_mu_) = 0;

  Mutex mu_;
  std::map<uint32_t, std::string> name_of_id_ GUARDED_BY(mu_);  // bound by the first message

  std::atomic<uint64_t> unsigned_{0}, unknown_{0}, bad_signature_{0}, conflict_{0},
      impersonation_{0};
};

// A Transport that seals everything it sends and opens everything it receives (inbound
// messages carry the signer's region id in `peer`; rejected ones never reach the handler,
// and a rejected reply to Request is an IOError).
std::unique_ptr<Transport> NewAuthenticatedTransport(std::unique_ptr<Transport> inner,
                                                     std::shared_ptr<PeerAuthenticator> auth);

}  // namespace meridian::replication
