// Hostile servers for the fault tests, all on 127.0.0.1, port 0.
//
// FaultServer: one plain-HTTP listener; the request path picks the misbehaviour
// (see the table in fault_server.cc and docs/reliability.md). One thread per
// connection, blocking sockets; every wait is a poll() with a short timeout
// that also checks the stop flag, so the destructor ends every thread within
// ~100 ms whatever the client does.
//
// TlsFaultServer: a TLS listener that either never answers the ClientHello
// (kStall) or completes handshakes with a self-signed or an expired
// certificate. Certificates are generated at construction with OpenSSL's C API
// (P-256 keys, SAN IP:127.0.0.1) into a temp dir; for kExpired a CA signs a
// leaf whose notAfter is a day in the past, and ca_file() is the CA to trust
// (the client trusts it through SSL_CERT_FILE, so verification gets as far as
// the validity check).
//
// Thread affinity: construct and destroy on one thread; the servers' own
// threads touch only their connections and the stop flag.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace barrage::faults {

// Accept loop + connection threads shared by both servers.
class Listener {
 public:
  Listener() = default;
  virtual ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  [[nodiscard]] uint16_t port() const { return port_; }
  // Connections accepted so far.
  [[nodiscard]] int accepted() const { return accepted_.load(); }

 protected:
  // Binds 127.0.0.1:0 and starts accepting; false on failure (error()).
  bool start();
  // Stops accepting, wakes and joins every thread. Derived destructors call it
  // first, so no thread runs serve() on a half-destroyed object.
  void stop();
  [[nodiscard]] const std::atomic<bool>& stop_flag() const { return stop_; }
  // Handles one accepted connection on its own thread; the caller closes fd.
  virtual void serve(int fd) = 0;

  // Waits until fd is readable (or its peer closed) for up to ms; false on
  // timeout or stop.
  bool wait_readable(int fd, int ms) const;
  // Sleeps up to ms, returning early (false) on stop or when the peer closed.
  bool pause(int fd, int ms) const;
  // Writes everything (MSG_NOSIGNAL); false when the peer went away or on stop.
  bool send_all(int fd, const char* data, size_t len) const;
  bool send_all(int fd, const std::string& s) const { return send_all(fd, s.data(), s.size()); }

 private:
  void accept_loop();

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
};

class FaultServer final : public Listener {
 public:
  FaultServer();
  ~FaultServer() override;
  [[nodiscard]] bool ok() const { return port() != 0; }
  [[nodiscard]] std::string url() const;

 private:
  void serve(int fd) override;
  // Sends the response for `path`; false closes the connection with a reset.
  void respond(int fd, const std::string& path);
  const std::string& gzip_bomb();
  const std::string& gzip_large();

  std::once_flag bomb_once_;
  std::string bomb_;
  std::once_flag large_once_;
  std::string large_;
};

class TlsFaultServer final : public Listener {
 public:
  enum class Mode : uint8_t { kStall, kSelfSigned, kExpired };
  explicit TlsFaultServer(Mode mode);
  ~TlsFaultServer() override;
  [[nodiscard]] bool ok() const { return port() != 0 && error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] std::string url() const;
  // PEM file of the CA that signed the expired certificate (kExpired only).
  [[nodiscard]] const std::string& ca_file() const { return ca_file_; }

 private:
  struct Tls;
  void serve(int fd) override;

  Mode mode_;
  std::string error_;
  std::string dir_;
  std::string ca_file_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace barrage::faults
