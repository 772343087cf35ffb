#include "fixture_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "util/ascii.h"

namespace barrage::aws::testing_support {
namespace {

int listen_loopback(int& port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd, 16) != 0) {
    throw std::runtime_error("fixture server: cannot listen on 127.0.0.1");
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

std::string RecordedRequest::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (ascii::iequals(h.name, name)) return h.value;
  }
  return {};
}

FixtureServer::FixtureServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = listen_loopback(port_);
  thread_ = std::thread([this] { serve(); });
}

FixtureServer::~FixtureServer() {
  stop_ = true;
  thread_.join();
  close(listen_fd_);
}

std::vector<RecordedRequest> FixtureServer::requests() const {
  const std::lock_guard lock(mutex_);
  return requests_;
}

void FixtureServer::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    handle(fd);
    close(fd);
  }
}

void FixtureServer::handle(int fd) {
  std::string data;
  char buf[65536];
  size_t header_end = std::string::npos;
  size_t content_length = 0;
  RecordedRequest req;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) return;
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return;
    data.append(buf, static_cast<size_t>(n));
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end == std::string::npos) continue;
      size_t pos = data.find("\r\n");
      const std::string line = data.substr(0, pos);
      req.method = line.substr(0, line.find(' '));
      req.target = line.substr(req.method.size() + 1, line.rfind(' ') - req.method.size() - 1);
      while (pos < header_end) {
        const size_t next = data.find("\r\n", pos + 2);
        const std::string h = data.substr(pos + 2, next - pos - 2);
        const size_t colon = h.find(':');
        if (colon != std::string::npos) {
          req.headers.push_back({h.substr(0, colon), std::string(ascii::trim_ows(
                                                         std::string_view(h).substr(colon + 1)))});
        }
        pos = next;
      }
      const std::string cl = req.header("Content-Length");
      content_length = cl.empty() ? 0 : std::stoul(cl);
    }
    if (data.size() >= header_end + 4 + content_length) break;
  }
  req.body = data.substr(header_end + 4, content_length);
  CannedResponse res = handler_(req);
  {
    const std::lock_guard lock(mutex_);
    requests_.push_back(req);
  }
  std::string out = "HTTP/1.1 " + std::to_string(res.status) + " " + reason(res.status) + "\r\n";
  bool has_length = false;
  for (const auto& h : res.headers) {
    out += h.name + ": " + h.value + "\r\n";
    has_length = has_length || ascii::iequals(h.name, "Content-Length");
  }
  if (!has_length) out += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  if (req.method != "HEAD") out += res.body;
  size_t sent = 0;
  while (sent < out.size()) {
    const ssize_t n = write(fd, out.data() + sent, out.size() - sent);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

int closed_port() {
  int port = 0;
  const int fd = listen_loopback(port);
  close(fd);
  return port;
}

}  // namespace barrage::aws::testing_support
