#include "fleet/local_platform.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fleet/protocol.h"

extern char** environ;
#include <stdexcept>

namespace barrage::fleet {

namespace {

constexpr size_t kLogLines = 20;
constexpr size_t kMaxLine = 4 * kMaxWireBytes;  // a line longer than this is garbage

std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::runtime_error("cannot find this executable (/proc/self/exe)");
  return std::string(buf, static_cast<size_t>(n));
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

LocalPlatform::LocalPlatform(std::vector<std::string> command) : command_(std::move(command)) {
  if (command_.empty()) command_ = {self_exe(), "worker"};
}

LocalPlatform::~LocalPlatform() { abort(); }

void LocalPlatform::launch(const std::vector<WorkerJob>& jobs) {
  procs_.resize(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    int in[2];
    int out[2];
    int err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      throw std::runtime_error(std::string("cannot create pipes for workers: ") +
                               std::strerror(errno));
    }
    std::vector<char*> argv;
    argv.reserve(command_.size() + 1);
    for (auto& a : command_) argv.push_back(a.data());
    argv.push_back(nullptr);
    // The environment is built before fork: setenv is not safe in the child.
    std::string id = "BARRAGE_WORKER_ID=" + std::to_string(jobs[i].worker);
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, "BARRAGE_WORKER_ID=", 18) != 0) envp.push_back(*e);
    }
    envp.push_back(id.data());
    envp.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      // Child: only async-signal-safe calls until exec.
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      dup2(in[0], STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      dup2(err[1], STDERR_FILENO);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    Proc& p = procs_[i];
    p.pid = pid;
    p.in = in[1];
    p.out = out[0];
    p.err = err[0];
    fcntl(p.out, F_SETFL, O_NONBLOCK);
    fcntl(p.err, F_SETFL, O_NONBLOCK);
    write_all(p, to_json(jobs[i]) + "\n");
  }
}

void LocalPlatform::write_all(Proc& p, const std::string& line) {
  size_t off = 0;
  while (p.in >= 0 && off < line.size()) {
    const ssize_t n = ::write(p.in, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close_fd(p.in);  // the worker is gone; its exit is reported by reap()
      return;
    }
    off += static_cast<size_t>(n);
  }
}

void LocalPlatform::start(int64_t start_wall_ms) {
  for (auto& p : procs_) write_all(p, "start " + std::to_string(start_wall_ms) + "\n");
}

void LocalPlatform::stop() {
  for (auto& p : procs_) write_all(p, "stop\n");
}

void LocalPlatform::abort() {
  for (auto& p : procs_) {
    if (p.pid > 0 && !p.reaped) {
      ::kill(p.pid, SIGKILL);
      reap(p, 0);
    }
    close_fd(p.in);
    close_fd(p.out);
    close_fd(p.err);
  }
}

void LocalPlatform::reap(Proc& p, int options) {
  if (p.pid <= 0 || p.reaped) return;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(p.pid, &status, options);
  } while (r < 0 && errno == EINTR);
  if (r != p.pid) return;
  p.reaped = true;
  if (WIFSIGNALED(status)) {
    p.exit_reason = "killed by signal " + std::to_string(WTERMSIG(status));
  } else {
    p.exit_reason = "exited with status " + std::to_string(WEXITSTATUS(status));
    p.clean_exit = WEXITSTATUS(status) == 0;
  }
}

std::vector<Launcher::Exit> LocalPlatform::exited() {
  std::vector<Exit> out;
  for (size_t i = 0; i < procs_.size(); ++i) {
    Proc& p = procs_[i];
    reap(p, WNOHANG);
    // Report only once its output is drained, so its last messages come first.
    if (p.reaped && !p.reported && p.out < 0) {
      p.reported = true;
      out.push_back({static_cast<uint32_t>(i), p.exit_reason, p.clean_exit});
    }
  }
  return out;
}

std::vector<std::string> LocalPlatform::last_log(uint32_t worker) {
  if (worker >= procs_.size()) return {};
  Proc& p = procs_[worker];
  std::vector<std::string> ignored;
  if (p.err >= 0) drain(p, p.err, ignored);
  std::vector<std::string> out(p.log.begin(), p.log.end());
  if (!p.err_buf.empty()) out.push_back(p.err_buf);
  return out;
}

void LocalPlatform::drain(Proc& p, int fd, std::vector<std::string>& lines) {
  std::string& buf = fd == p.out ? p.out_buf : p.err_buf;
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;  // EAGAIN: nothing more now
    if (n == 0) {       // EOF
      if (fd == p.out) {
        close_fd(p.out);
      } else {
        close_fd(p.err);
      }
      break;
    }
    buf.append(chunk, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = buf.substr(start, nl - start);
      if (&buf == &p.out_buf) {
        lines.push_back(std::move(line));
      } else {
        p.log.push_back(std::move(line));
        if (p.log.size() > kLogLines) p.log.pop_front();
      }
    }
    buf.erase(0, start);
    if (buf.size() > kMaxLine) buf.clear();
  }
}

std::vector<std::string> LocalPlatform::receive(engine::Nanos timeout) {
  std::vector<pollfd> fds;
  std::vector<std::pair<size_t, int>> owners;
  for (size_t i = 0; i < procs_.size(); ++i) {
    for (int fd : {procs_[i].out, procs_[i].err}) {
      if (fd < 0) continue;
      fds.push_back({fd, POLLIN, 0});
      owners.emplace_back(i, fd);
    }
  }
  std::vector<std::string> lines;
  const int ms = static_cast<int>(timeout / engine::kNanosPerMilli);
  if (fds.empty()) {
    if (ms > 0) ::usleep(static_cast<useconds_t>(ms) * 1000);
    return lines;
  }
  if (::poll(fds.data(), fds.size(), ms) <= 0) return lines;
  for (size_t k = 0; k < fds.size(); ++k) {
    if (fds[k].revents == 0) continue;
    drain(procs_[owners[k].first], owners[k].second, lines);
  }
  return lines;
}

std::vector<pid_t> LocalPlatform::pids() const {
  std::vector<pid_t> out;
  out.reserve(procs_.size());
  for (const auto& p : procs_) out.push_back(p.pid);
  return out;
}

}  // namespace barrage::fleet
