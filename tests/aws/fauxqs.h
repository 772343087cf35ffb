// The fauxqs S3/SQS emulator (npm, pinned in tests/aws/package-lock.json,
// installed by tests/aws/install.sh) on 127.0.0.1, for tests: started as
// `node fauxqs-server.mjs` with stdin and stdout piped; closing stdin stops it.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace barrage::testing {

inline std::filesystem::path kFauxqsDir() {
  return std::filesystem::path(BARRAGE_SOURCE_DIR) / "tests/aws";
}

class Fauxqs {
 public:
  Fauxqs() {
    if (!std::filesystem::exists(kFauxqsDir() / "node_modules/fauxqs")) {
      error_ = "fauxqs (the S3/SQS emulator) is not installed: run `bash tests/aws/install.sh`";
      not_installed_ = true;
      return;
    }
    int in[2];
    int out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
      error_ = "pipe failed";
      return;
    }
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      if (chdir(kFauxqsDir().c_str()) != 0) _exit(126);
      execlp("node", "node", "fauxqs-server.mjs", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[256];
      const ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    close(out[0]);
    if (!line.starts_with("PORT ")) {
      error_ = "fauxqs did not start: '" + line + "'";
      return;
    }
    port_ = std::stoi(line.substr(5));
  }
  ~Fauxqs() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0) {
      for (int i = 0; i < 50 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) usleep(100000);
      if (waitpid(pid_, nullptr, WNOHANG) == 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
  }
  Fauxqs(const Fauxqs&) = delete;
  Fauxqs& operator=(const Fauxqs&) = delete;

  const std::string& error() const { return error_; }
  // Its npm package is missing (error() says how to install it).
  bool not_installed() const { return not_installed_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  bool not_installed_ = false;
  int stdin_ = -1;
  int port_ = 0;
  std::string error_;
};

}  // namespace barrage::testing
