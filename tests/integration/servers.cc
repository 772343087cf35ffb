#include "servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include "script/loader.h"

namespace barrage::testing {

uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

uint16_t closed_port() { return free_port(); }

bool wait_for_port(uint16_t port, int timeout_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < until) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

engine::RunResult run_script(const std::string& yaml, int cores, bool insecure) {
  const auto plan = script::load_plan_string(yaml, "test.yml", {}).value();
  engine::RunOptions o;
  o.cores = cores;
  o.insecure = insecure;
  o.seed = 42;
  return engine::run_plan(plan, o, {}, nullptr);
}

std::string make_temp_dir() {
  char tmpl[] = "/tmp/barrage-test-XXXXXX";
  const char* d = mkdtemp(tmpl);
  return d != nullptr ? d : "/tmp";
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CommandResult run_command(const std::string& command, int timeout_s) {
  CommandResult r;
  const std::string full =
      "timeout -k 5 " + std::to_string(timeout_s) + " sh -c '" + command + "' 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

MeasuredRun run_measured(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         int timeout_s, long nofile) {
  MeasuredRun r;
  if (argv.empty()) return r;
  const std::string dir = make_temp_dir();
  const std::string out_path = dir + "/out.txt";
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The environment is built before fork: the child of a threaded process
  // should not allocate.
  // An entry of `env` replaces an inherited one of the same name.
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view inherited(*e);
    const auto name = inherited.substr(0, inherited.find('=') + 1);
    bool replaced = false;
    for (const auto& mine : env) replaced = replaced || mine.starts_with(name);
    if (!replaced) envp.push_back(*e);
  }
  envp.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    if (nofile > 0) {
      const rlimit lim{static_cast<rlim_t>(nofile), static_cast<rlim_t>(nofile)};
      ::setrlimit(RLIMIT_NOFILE, &lim);
    }
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  if (pid < 0) return r;
  const auto until = start + std::chrono::seconds(timeout_s);
  int status = 0;
  rusage ru{};
  for (;;) {
    const pid_t w = ::wait4(pid, &status, WNOHANG, &ru);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (!r.timed_out && std::chrono::steady_clock::now() > until) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.peak_rss_kb = ru.ru_maxrss;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.out = read_file(out_path);
  ::unlink(out_path.c_str());
  ::rmdir(dir.c_str());
  return r;
}

Nginx::Nginx() {
  dir_ = make_temp_dir();
  port_ = free_port();
  tls_port_ = free_port();
  const std::string nginx = "/usr/sbin/nginx";
  if (::access(nginx.c_str(), X_OK) != 0) {
    error_ =
        "nginx is not installed (/usr/sbin/nginx): run `bash scripts/install-deps.sh` "
        "(or `sudo apt-get install nginx`)";
    not_installed_ = true;
    return;
  }
  const auto cert =
      run_command("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -keyout " +
                      dir_ + "/key.pem -out " + dir_ + "/cert.pem",
                  60);
  if (cert.exit_code != 0) {
    error_ = "openssl failed: " + cert.out;
    return;
  }
  std::ostringstream conf;
  conf << "worker_processes 1;\ndaemon off;\nerror_log " << dir_ << "/error.log;\npid " << dir_
       << "/nginx.pid;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n"
       << "  client_body_temp_path " << dir_ << ";\n  proxy_temp_path " << dir_ << ";\n"
       << "  fastcgi_temp_path " << dir_ << ";\n  uwsgi_temp_path " << dir_ << ";\n"
       << "  scgi_temp_path " << dir_ << ";\n  keepalive_requests 1000000;\n"
       << "  server {\n    listen 127.0.0.1:" << port_ << ";\n"
       << "    location / { return 200 \"ok\\n\"; }\n"
       << "    location /redirect { return 302 /; }\n  }\n"
       << "  server {\n    listen 127.0.0.1:" << tls_port_ << " ssl;\n"
       << "    ssl_certificate " << dir_ << "/cert.pem;\n    ssl_certificate_key " << dir_
       << "/key.pem;\n    location / { return 200 \"ok\\n\"; }\n  }\n}\n";
  write_file(dir_ + "/nginx.conf", conf.str());
  pid_ = ::fork();
  if (pid_ == 0) {
    ::execl(nginx.c_str(), "nginx", "-c", (dir_ + "/nginx.conf").c_str(), "-p", dir_.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (!wait_for_port(port_, 5000) || !wait_for_port(tls_port_, 5000)) {
    error_ = "nginx did not start: " + read_file(dir_ + "/error.log");
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

Nginx::~Nginx() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  run_command("rm -rf " + dir_, 10);
}

}  // namespace barrage::testing
