#include "fault_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace barrage::faults {
namespace {

constexpr int kSliceMs = 50;  // longest a thread waits before checking the stop flag

std::string head(std::string_view status, std::string_view fields) {
  std::string h = "HTTP/1.1 ";
  h += status;
  h += "\r\n";
  h += fields;
  h += "Connection: close\r\n\r\n";
  return h;
}

// Reads a request head; returns its path, or "" when none arrived.
std::string read_request_path(int fd, const std::atomic<bool>& stop) {
  std::string req;
  char buf[4096];
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (req.find("\r\n\r\n") == std::string::npos && req.size() < 65536) {
    if (stop.load() || std::chrono::steady_clock::now() > until) return {};
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kSliceMs) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return {};
    req.append(buf, static_cast<size_t>(n));
  }
  // "GET /path HTTP/1.1"
  const size_t sp = req.find(' ');
  if (sp == std::string::npos) return {};
  const size_t sp2 = req.find(' ', sp + 1);
  if (sp2 == std::string::npos) return {};
  return req.substr(sp + 1, sp2 - sp - 1);
}

// Makes close() send RST instead of FIN.
void set_reset_on_close(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

}  // namespace

// ---- Listener ----

Listener::~Listener() { stop(); }

bool Listener::start() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return false;
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_fd_, 128) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    return false;
  }
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
  return true;
}

void Listener::stop() {
  stop_.store(true);
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> workers;
  {
    const std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
}

void Listener::accept_loop() {
  while (!stop_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, kSliceMs) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++accepted_;
    // Bounded sends, so a client that stops reading cannot pin a thread.
    timeval tv{0, kSliceMs * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const std::lock_guard lock(mu_);
    workers_.emplace_back([this, fd] {
      serve(fd);
      ::close(fd);
    });
  }
}

bool Listener::wait_readable(int fd, int ms) const {
  for (int waited = 0; waited < ms && !stop_.load(); waited += kSliceMs) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kSliceMs) > 0) return true;
  }
  return false;
}

bool Listener::pause(int fd, int ms) const {
  for (int waited = 0; waited < ms; waited += kSliceMs) {
    if (stop_.load()) return false;
    pollfd p{fd, POLLRDHUP, 0};
    if (::poll(&p, 1, kSliceMs) > 0) return false;  // peer closed or reset
  }
  return !stop_.load();
}

bool Listener::send_all(int fd, const char* data, size_t len) const {
  size_t done = 0;
  while (done < len) {
    if (stop_.load()) return false;
    const ssize_t n = ::send(fd, data + done, len - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      continue;  // SO_SNDTIMEO slice passed; check the stop flag again
    } else {
      return false;
    }
  }
  return true;
}

// ---- FaultServer ----

FaultServer::FaultServer() { start(); }

FaultServer::~FaultServer() { stop(); }

std::string FaultServer::url() const { return "http://127.0.0.1:" + std::to_string(port()); }

void FaultServer::serve(int fd) {
  const std::string path = read_request_path(fd, stop_flag());
  if (!path.empty()) respond(fd, path);
}

// 256 MiB of zeros as 32 gzip members of 8 MiB each (about 260 KB; a gzip
// stream may hold several members, and decoders continue across them).
// Compressing 8 MiB takes milliseconds, so the first request is not slow.
const std::string& FaultServer::gzip_bomb() {
  std::call_once(bomb_once_, [this] {
    const std::string zeros(8u << 20, '\0');
    std::string member(compressBound(zeros.size()) + 32, '\0');
    z_stream z{};
    deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
    z.avail_in = static_cast<uInt>(zeros.size());
    z.next_out = reinterpret_cast<Bytef*>(member.data());
    z.avail_out = static_cast<uInt>(member.size());
    deflate(&z, Z_FINISH);
    member.resize(z.total_out);
    deflateEnd(&z);
    for (int i = 0; i < 32; ++i) bomb_ += member;
  });
  return bomb_;
}

// 2 MiB of pseudo-random bytes, gzip'd: incompressible, so also ~2 MiB.
const std::string& FaultServer::gzip_large() {
  std::call_once(large_once_, [this] {
    std::string raw(2u << 20, '\0');
    uint32_t x = 2463534242u;  // xorshift32
    for (char& c : raw) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      c = static_cast<char>(x);
    }
    uLongf n = compressBound(raw.size()) + 32;
    large_.resize(n);
    z_stream z{};
    deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    z.next_in = reinterpret_cast<Bytef*>(raw.data());
    z.avail_in = static_cast<uInt>(raw.size());
    z.next_out = reinterpret_cast<Bytef*>(large_.data());
    z.avail_out = static_cast<uInt>(n);
    deflate(&z, Z_FINISH);
    large_.resize(z.total_out);
    deflateEnd(&z);
  });
  return large_;
}

void FaultServer::respond(int fd, const std::string& path) {
  if (path == "/ok") {
    send_all(fd, head("200 OK", "Content-Length: 3\r\n") + "ok\n");
  } else if (path == "/close") {
    // Nothing at all: the connection just closes.
  } else if (path == "/reset-headers") {
    send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/pl");
    pause(fd, 100);
    set_reset_on_close(fd);
  } else if (path == "/reset-body") {
    send_all(fd, head("200 OK", "Content-Length: 1000000\r\n") + std::string(10000, 'x'));
    pause(fd, 100);
    set_reset_on_close(fd);
  } else if (path == "/trickle") {
    // One byte a second, until the client gives up.
    const std::string r = head("200 OK", "Content-Length: 3\r\n") + "ok\n";
    for (const char c : r) {
      if (!send_all(fd, &c, 1) || !pause(fd, 1000)) break;
    }
  } else if (path == "/stall") {
    send_all(fd, head("200 OK", "Content-Length: 100\r\n"));
    pause(fd, 60000);
  } else if (path == "/big") {
    // 100 MiB, streamed: the server holds 64 KiB at a time.
    constexpr size_t kTotal = 100u << 20;
    send_all(fd, head("200 OK", "Content-Length: " + std::to_string(kTotal) + "\r\n"));
    const std::string chunk(1 << 16, 'x');
    for (size_t sent = 0; sent < kTotal; sent += chunk.size()) {
      if (!send_all(fd, chunk)) break;
    }
  } else if (path == "/long-header") {
    send_all(fd, "HTTP/1.1 200 OK\r\nX-Long: " + std::string(1 << 20, 'a') +
                     "\r\nContent-Length: 0\r\n\r\n");
  } else if (path == "/many-headers") {
    std::string fields;
    for (int i = 0; i < 10000; ++i) fields += "X-H-" + std::to_string(i) + ": v\r\n";
    send_all(fd, head("200 OK", fields + "Content-Length: 0\r\n"));
  } else if (path == "/bad-status") {
    send_all(fd, head("2x0 OK", "Content-Length: 0\r\n"));
  } else if (path == "/negative-length") {
    send_all(fd, head("200 OK", "Content-Length: -1\r\n") + "ok\n");
  } else if (path == "/overflow-length") {
    send_all(fd, head("200 OK", "Content-Length: 184467440737095516160\r\n") + "ok\n");
  } else if (path == "/bad-chunk") {
    send_all(fd, head("200 OK", "Transfer-Encoding: chunked\r\n") + "zz\r\nok\r\n0\r\n\r\n");
  } else if (path == "/huge-chunk") {
    send_all(fd, head("200 OK", "Transfer-Encoding: chunked\r\n") + "1FFFFFFFFFFFFFFFF\r\nok\r\n");
  } else if (path == "/short-body") {
    send_all(fd, head("200 OK", "Content-Length: 100\r\n") + "only ten b");
  } else if (path == "/http09") {
    send_all(fd, "hello, this is a body without a status line\n");
  } else if (path == "/info-storm") {
    std::string storm;
    for (int i = 0; i < 1000; ++i) storm += "HTTP/1.1 100 Continue\r\n\r\n";
    send_all(fd, storm + head("200 OK", "Content-Length: 3\r\n") + "ok\n");
  } else if (path == "/gzip-bomb") {
    const std::string& bomb = gzip_bomb();
    send_all(fd, head("200 OK", "Content-Encoding: gzip\r\nContent-Length: " +
                                    std::to_string(bomb.size()) + "\r\n") +
                     bomb);
  } else if (path == "/gzip-large") {
    // A legitimate gzip body larger (compressed) than barrage keeps for captures.
    const std::string& body = gzip_large();
    send_all(fd, head("200 OK", "Content-Encoding: gzip\r\nContent-Length: " +
                                    std::to_string(body.size()) + "\r\n") +
                     body);
  } else if (path == "/redirect-loop") {
    send_all(fd, head("302 Found", "Location: /redirect-loop\r\nContent-Length: 0\r\n"));
  } else {
    send_all(fd, head("404 Not Found", "Content-Length: 0\r\n"));
  }
}

// ---- TlsFaultServer ----

namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* x) const { X509_free(x); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

bool add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A certificate for `key`, valid from now+not_before_s to now+not_after_s,
// signed by issuer (self-signed when issuer is null).
Cert make_cert(EVP_PKEY* key, const char* cn, long serial, long not_before_s, long not_after_s,
               bool ca, X509* issuer, EVP_PKEY* issuer_key) {
  Cert x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), not_after_s);
  X509_set_pubkey(x.get(), key);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509_set_issuer_name(x.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer != nullptr ? issuer : x.get();
  if (ca) {
    add_ext(x.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(x.get(), signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  }
  if (X509_sign(x.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) return {};
  return x;
}

}  // namespace

struct TlsFaultServer::Tls {
  SSL_CTX* ctx = nullptr;
  ~Tls() { SSL_CTX_free(ctx); }
};

TlsFaultServer::TlsFaultServer(Mode mode) : mode_(mode), tls_(std::make_unique<Tls>()) {
  if (mode_ != Mode::kStall) {
    constexpr long kDay = 24 * 3600;
    Key key(EVP_EC_gen("P-256"));
    Cert leaf;
    if (mode_ == Mode::kSelfSigned) {
      leaf = make_cert(key.get(), "localhost", 1, -kDay, kDay, false, nullptr, nullptr);
    } else {
      Key ca_key(EVP_EC_gen("P-256"));
      const Cert ca = make_cert(ca_key.get(), "barrage test CA", 1, -10 * kDay, 10 * kDay, true,
                                nullptr, nullptr);
      if (ca) {
        leaf =
            make_cert(key.get(), "localhost", 2, -3 * kDay, -kDay, false, ca.get(), ca_key.get());
        char tmpl[] = "/tmp/barrage-faults-XXXXXX";
        if (const char* d = ::mkdtemp(tmpl)) {
          dir_ = d;
          ca_file_ = dir_ + "/ca.pem";
          FILE* f = std::fopen(ca_file_.c_str(), "w");
          if (f != nullptr) {
            PEM_write_X509(f, ca.get());
            std::fclose(f);
          }
        }
      }
    }
    tls_->ctx = SSL_CTX_new(TLS_server_method());
    if (!leaf || tls_->ctx == nullptr || SSL_CTX_use_certificate(tls_->ctx, leaf.get()) != 1 ||
        SSL_CTX_use_PrivateKey(tls_->ctx, key.get()) != 1 ||
        (mode_ == Mode::kExpired && ca_file_.empty())) {
      error_ = "could not make the test certificate";
      ERR_clear_error();
      return;
    }
  }
  if (!start()) error_ = "could not listen on 127.0.0.1";
}

TlsFaultServer::~TlsFaultServer() {
  stop();
  if (!dir_.empty()) {
    std::remove(ca_file_.c_str());
    ::rmdir(dir_.c_str());
  }
}

std::string TlsFaultServer::url() const { return "https://127.0.0.1:" + std::to_string(port()); }

void TlsFaultServer::serve(int fd) {
  if (mode_ == Mode::kStall) {
    // Accepted; the ClientHello is never read, let alone answered.
    pause(fd, 60000);
    return;
  }
  if (!wait_readable(fd, 5000)) return;
  timeval tv{1, 0};  // a client that stops mid-handshake cannot pin the thread
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SSL* ssl = SSL_new(tls_->ctx);
  if (ssl == nullptr) return;
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) == 1) {
    // A client that accepted the certificate gets an answer (the tests expect
    // none to).
    const std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
    SSL_write(ssl, r.data(), static_cast<int>(r.size()));
    SSL_shutdown(ssl);
  }
  SSL_free(ssl);
  ERR_clear_error();
}

}  // namespace barrage::faults
