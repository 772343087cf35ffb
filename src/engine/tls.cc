#include "engine/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <stdexcept>

namespace barrage::engine {

namespace {
int context_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

const char* verify_error_name(long code) {
  switch (code) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return "DEPTH_ZERO_SELF_SIGNED_CERT";
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return "SELF_SIGNED_CERT_IN_CHAIN";
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "CERT_HAS_EXPIRED";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "CERT_NOT_YET_VALID";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      return "UNABLE_TO_GET_ISSUER_CERT_LOCALLY";
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return "UNABLE_TO_VERIFY_LEAF_SIGNATURE";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "ERR_TLS_CERT_ALTNAME_INVALID";
    case X509_V_ERR_CERT_REVOKED:
      return "CERT_REVOKED";
    default:
      return "CERT_VERIFY_FAILED";
  }
}
}  // namespace

TlsContext::TlsContext(bool verify_peer) : verify_(verify_peer) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) throw std::runtime_error("TLS: SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                             SSL_MODE_RELEASE_BUFFERS);
  if (verify_) {
    SSL_CTX_set_default_verify_paths(ctx_);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx_, &TlsContext::on_new_session);
  SSL_CTX_set_ex_data(ctx_, context_index(), this);
}

TlsContext::~TlsContext() {
  for (auto& [key, s] : sessions_) SSL_SESSION_free(s);
  SSL_CTX_free(ctx_);
}

SSL* TlsContext::new_ssl(int fd, const std::string& host, const std::string* session_key) {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  SSL_set_fd(ssl, fd);
  SSL_set_connect_state(ssl);
  SSL_set_app_data(ssl, const_cast<std::string*>(session_key));
  const bool ip = is_ip_literal(host);
  if (!ip) SSL_set_tlsext_host_name(ssl, host.c_str());
  if (verify_) {
    if (ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
    } else {
      SSL_set1_host(ssl, host.c_str());
    }
  }
  if (session_key != nullptr) {
    auto it = sessions_.find(*session_key);
    if (it != sessions_.end()) SSL_set_session(ssl, it->second);
  }
  return ssl;
}

int TlsContext::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<TlsContext*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), context_index()));
  auto* key = static_cast<const std::string*>(SSL_get_app_data(ssl));
  if (self == nullptr || key == nullptr) return 0;
  auto& slot = self->sessions_[*key];
  if (slot != nullptr) SSL_SESSION_free(slot);
  slot = session;
  return 1;  // we keep the reference
}

const char* TlsContext::error_name(SSL* ssl) {
  if (ssl != nullptr) {
    const long v = SSL_get_verify_result(ssl);
    if (v != X509_V_OK) {
      ERR_clear_error();
      return verify_error_name(v);
    }
  }
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e != 0 && ERR_GET_REASON(e) == SSL_R_WRONG_VERSION_NUMBER) {
    return "ERR_SSL_WRONG_VERSION_NUMBER";
  }
  return "EPROTO";
}

}  // namespace barrage::engine
