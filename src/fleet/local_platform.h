// The local platform: N worker processes of this same binary (`barrage
// worker`) on this machine. Each worker reads its job and then control lines
// ("start <wall_ms>", "stop") on stdin, writes protocol envelopes one per line
// on stdout, and logs on stderr (the last lines are kept for error messages).
// Workers run in their own process group (a terminal's Ctrl-C reaches only the
// coordinator, which stops them through the protocol) and die with the
// coordinator (PR_SET_PDEATHSIG), so none outlives a run.
#pragma once

#include <sys/types.h>

#include <deque>
#include <string>
#include <vector>

#include "fleet/platform.h"

namespace barrage::fleet {

class LocalPlatform final : public Launcher, public Channel {
 public:
  // `command`: the worker's argv (default: this executable, "worker").
  explicit LocalPlatform(std::vector<std::string> command = {});
  ~LocalPlatform() override;
  LocalPlatform(const LocalPlatform&) = delete;
  LocalPlatform& operator=(const LocalPlatform&) = delete;

  void launch(const std::vector<WorkerJob>& jobs) override;
  void start(int64_t start_wall_ms) override;
  void stop() override;
  void abort() override;
  std::vector<Exit> exited() override;
  std::vector<std::string> last_log(uint32_t worker) override;
  std::vector<std::string> receive(engine::Nanos timeout) override;

  [[nodiscard]] std::vector<pid_t> pids() const;

 private:
  struct Proc {
    pid_t pid = -1;
    int in = -1;   // its stdin (we write)
    int out = -1;  // its stdout (we read envelopes)
    int err = -1;  // its stderr (we read logs)
    std::string out_buf;
    std::string err_buf;
    std::deque<std::string> log;
    bool reaped = false;
    bool reported = false;
    std::string exit_reason;
    bool clean_exit = false;
  };
  void write_all(Proc& p, const std::string& line);
  void drain(Proc& p, int fd, std::vector<std::string>& lines);
  void reap(Proc& p, int options);

  std::vector<std::string> command_;
  std::vector<Proc> procs_;
};

}  // namespace barrage::fleet
