// Client TLS over OpenSSL, one context per shard.
//
// Verification is on by default (system trust store, hostname check); SNI is
// sent for host names (not for IP literals). Sessions are cached per
// host:port in the shard so a VU that reconnects resumes instead of paying a
// full handshake. Errors are named the way Node names them, since Artillery
// users know those: DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED,
// ERR_TLS_CERT_ALTNAME_INVALID, ...
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;
using SSL_SESSION = struct ssl_session_st;

namespace barrage::engine {

class TlsContext {
 public:
  explicit TlsContext(bool verify_peer);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A new client SSL on a connected socket, with SNI, hostname verification
  // and a cached session for `session_key` (host:port) when one exists.
  // The caller owns the SSL (SSL_free). `session_key` must outlive the SSL.
  SSL* new_ssl(int fd, const std::string& host, const std::string* session_key);

  [[nodiscard]] bool verify_peer() const { return verify_; }

  // The Node-style name of a failed handshake or IO call on `ssl`.
  static const char* error_name(SSL* ssl);

 private:
  static int on_new_session(SSL* ssl, SSL_SESSION* session);

  SSL_CTX* ctx_ = nullptr;
  bool verify_;
  std::unordered_map<std::string, SSL_SESSION*> sessions_;
};

}  // namespace barrage::engine
