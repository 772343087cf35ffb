#include "engine/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/tls.h"

namespace barrage::engine {

Connection::Connection(EventLoop& loop) noexcept
    : loop_(loop), timer_(loop, &Connection::on_timeout, this) {}

Connection::~Connection() { close(); }

void Connection::close() noexcept {
  timer_.disarm();
  if (ssl_ != nullptr) {
    // A clean close sends close_notify. Besides being polite TLS, OpenSSL marks
    // a session not resumable when its connection is freed without it, and
    // the next VU could not resume.
    if (error_ == nullptr && SSL_is_init_finished(ssl_) == 1) {
      ERR_clear_error();
      SSL_shutdown(ssl_);
      ERR_clear_error();
    }
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    // close() removes the fd from epoll (never dup'ed), saving an epoll_ctl(DEL).
    ::close(fd_);
    fd_ = -1;
  }
  readable_ = writable_ = hup_ = false;
  error_ = nullptr;
}

const char* Connection::errno_name(int err) noexcept {
  switch (err) {
    case ECONNREFUSED:
      return "ECONNREFUSED";
    case ECONNRESET:
      return "ECONNRESET";
    case EPIPE:
      return "EPIPE";
    case ETIMEDOUT:
      return "ETIMEDOUT";
    case EHOSTUNREACH:
      return "EHOSTUNREACH";
    case ENETUNREACH:
      return "ENETUNREACH";
    case EADDRNOTAVAIL:
      return "EADDRNOTAVAIL";
    case EMFILE:
      return "EMFILE";
    case ENFILE:
      return "ENFILE";
    case ECONNABORTED:
      return "ECONNABORTED";
    default: {
      const char* n = strerrorname_np(err);
      return n != nullptr ? n : "EIO";
    }
  }
}

const char* Connection::start_connect(const sockaddr_storage& addr, socklen_t len) noexcept {
  close();
  fd_ = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return error_ = errno_name(errno);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!loop_.watch(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this)) {
    const char* e = errno_name(errno);
    close();
    return error_ = e;
  }
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), len) == 0) {
    writable_ = true;
    return nullptr;
  }
  if (errno == EINPROGRESS) return nullptr;
  const char* e = errno_name(errno);
  close();
  return error_ = e;
}

const char* Connection::adopt_connected(int fd) noexcept {
  close();
  fd_ = fd;
  if (!loop_.rewatch(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this)) {
    const char* e = errno_name(errno);
    close();
    return error_ = e;
  }
  writable_ = true;
  return nullptr;
}

const char* Connection::finish_connect() noexcept {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return error_ = errno_name(err);
  hup_ = false;  // a connect in progress may report RDHUP spuriously; SO_ERROR decides
  return nullptr;
}

const char* Connection::start_tls(TlsContext& ctx, const std::string& host,
                                  std::string session_key) {
  session_key_ = std::move(session_key);
  ssl_ = ctx.new_ssl(fd_, host, &session_key_);
  if (ssl_ == nullptr) return error_ = "EPROTO";
  return nullptr;
}

// Maps a failed SSL_* call to a step: wait for readiness, or an error named
// like Node names it. SSL_ERROR_SYSCALL with errno 0 is the peer closing
// without close_notify: end of stream for a read, a reset otherwise.
Connection::IoResult Connection::ssl_result(int rc, SslOp op) noexcept {
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_ZERO_RETURN:
      if (op == SslOp::kRead) return {Step::kDone, 0};
      error_ = "ECONNRESET";
      return {Step::kError, 0};
    case SSL_ERROR_WANT_READ:
      readable_ = false;
      hup_ = false;
      want_ = Interest::kRead;
      return {Step::kAgain, 0};
    case SSL_ERROR_WANT_WRITE:
      writable_ = false;
      want_ = Interest::kWrite;
      return {Step::kAgain, 0};
    case SSL_ERROR_SYSCALL:
      if (errno == 0 && op == SslOp::kRead) return {Step::kDone, 0};
      error_ = errno != 0 ? errno_name(errno) : (op == SslOp::kWrite ? "EPIPE" : "ECONNRESET");
      if (op == SslOp::kHandshake && SSL_get_verify_result(ssl_) != X509_V_OK) {
        error_ = TlsContext::error_name(ssl_);
      }
      return {Step::kError, 0};
    default:
      error_ = TlsContext::error_name(ssl_);
      return {Step::kError, 0};
  }
}

Connection::Step Connection::handshake_step() noexcept {
  ERR_clear_error();
  errno = 0;  // SSL_ERROR_SYSCALL reads errno; a stale value would mislead
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) return Step::kDone;
  return ssl_result(rc, SslOp::kHandshake).step;
}

bool Connection::tls_resumed() const noexcept {
  return ssl_ != nullptr && SSL_session_reused(ssl_) == 1;
}

Connection::IoResult Connection::try_write(const char* data, size_t len) noexcept {
  if (ssl_ != nullptr) {
    ERR_clear_error();
    errno = 0;  // SSL_ERROR_SYSCALL reads errno; a stale value would mislead
    const int rc = SSL_write(ssl_, data, static_cast<int>(len));
    if (rc > 0) return {Step::kDone, static_cast<size_t>(rc)};
    return ssl_result(rc, SslOp::kWrite);
  }
  const ssize_t n = ::send(fd_, data, len, MSG_NOSIGNAL);
  if (n >= 0) return {Step::kDone, static_cast<size_t>(n)};
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    writable_ = false;
    want_ = Interest::kWrite;
    return {Step::kAgain, 0};
  }
  if (errno == EINTR) return {Step::kAgain, 0};
  error_ = errno_name(errno);
  return {Step::kError, 0};
}

Connection::IoResult Connection::try_read(char* buf, size_t cap) noexcept {
  if (ssl_ != nullptr) {
    ERR_clear_error();
    errno = 0;  // SSL_ERROR_SYSCALL reads errno; a stale value would mislead
    const int rc = SSL_read(ssl_, buf, static_cast<int>(cap));
    if (rc > 0) return {Step::kDone, static_cast<size_t>(rc)};
    return ssl_result(rc, SslOp::kRead);
  }
  const ssize_t n = ::recv(fd_, buf, cap, 0);
  if (n > 0) {
    if (static_cast<size_t>(n) < cap) readable_ = false;  // drained: wait for the next edge
    return {Step::kDone, static_cast<size_t>(n)};
  }
  if (n == 0) return {Step::kDone, 0};
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    readable_ = false;
    hup_ = false;
    want_ = Interest::kRead;
    return {Step::kAgain, 0};
  }
  if (errno == EINTR) return {Step::kAgain, 0};
  error_ = errno_name(errno);
  return {Step::kError, 0};
}

void Connection::WaitAwaiter::await_suspend(std::coroutine_handle<> h) noexcept {
  conn_.waiter_ = h;
  conn_.waiting_for_ = what_;
  conn_.timed_out_ = false;
  conn_.timer_.arm(deadline_);
}

bool Connection::WaitAwaiter::await_resume() noexcept {
  conn_.waiter_ = {};
  conn_.timer_.disarm();
  const bool ok = !conn_.timed_out_;
  conn_.timed_out_ = false;
  return ok;
}

void Connection::on_io(uint32_t events) noexcept {
  if ((events & (EPOLLIN | EPOLLRDHUP)) != 0) readable_ = true;
  if ((events & EPOLLOUT) != 0) writable_ = true;
  if ((events & (EPOLLERR | EPOLLHUP)) != 0) {
    hup_ = true;
    readable_ = writable_ = true;
  }
  // Resumed after the whole event batch, never inline: a resumed VU may end and
  // destroy connections whose events are still pending in this batch.
  if (waiter_ && ready_for(waiting_for_)) {
    auto h = waiter_;
    waiter_ = {};
    timer_.disarm();
    loop_.post(h);
  }
}

void Connection::on_timeout(void* self) noexcept {
  auto* c = static_cast<Connection*>(self);
  c->timed_out_ = true;
  if (c->waiter_) {
    auto h = c->waiter_;
    c->waiter_ = {};
    h.resume();
  }
}

}  // namespace barrage::engine
