// Real servers for integration tests, all on 127.0.0.1: nginx (Debian's
// package) with a generated config, and helpers to run the barrage binary.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/runner.h"

namespace barrage::testing {

// A port that was free a moment ago (bind to 0, read it, close).
uint16_t free_port();
// A port with nothing listening (for ECONNREFUSED).
uint16_t closed_port();
// Polls until something accepts on 127.0.0.1:port, up to timeout_ms.
bool wait_for_port(uint16_t port, int timeout_ms);

class Nginx {
 public:
  // Starts `nginx` (1 worker, daemon off) serving `return 200 "ok\n"` on a
  // plain port and, with a self-signed certificate, on a TLS port.
  Nginx();
  ~Nginx();
  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;
  [[nodiscard]] bool ok() const { return pid_ > 0; }
  // /usr/sbin/nginx is missing (error() says how to install it).
  [[nodiscard]] bool not_installed() const { return not_installed_; }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] uint16_t tls_port() const { return tls_port_; }

 private:
  std::string dir_;
  std::string error_;
  pid_t pid_ = -1;
  bool not_installed_ = false;
  uint16_t port_ = 0;
  uint16_t tls_port_ = 0;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};
// Runs a shell command, capturing its output; bounded by `timeout` (coreutils).
CommandResult run_command(const std::string& command, int timeout_s = 120);

// A child process run directly (no shell), measured.
struct MeasuredRun {
  int exit_code = -1;      // -1 when a signal ended it
  int signal = 0;          // the signal that ended it, 0 if none
  bool timed_out = false;  // killed after timeout_s
  long peak_rss_kb = 0;    // ru_maxrss from wait4(); Linux carries the high-water mark
                           // across exec, so it includes this process's resident size
                           // at fork: an over-estimate, never an under-estimate
  double wall_s = 0;       // fork to exit
  std::string out;         // stdout and stderr together
};
// Runs argv (argv[0] is the path of the executable) with `env` entries
// ("NAME=value") added to the environment and, when nofile > 0, RLIMIT_NOFILE
// (soft and hard) set to it; SIGKILL after timeout_s.
MeasuredRun run_measured(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env = {}, int timeout_s = 60,
                         long nofile = 0);

// Loads `yaml` and runs it in-process with a fixed seed.
engine::RunResult run_script(const std::string& yaml, int cores = 2, bool insecure = false);

std::string make_temp_dir();
void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);

}  // namespace barrage::testing
