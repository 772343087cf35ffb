// Running tests, findable from another terminal: every run registers its id
// and process id in a per-user directory ($XDG_RUNTIME_DIR/barrage/runs, or
// /tmp/barrage-<uid>/runs), so `barrage stop RUN_ID` can reach it. A front
// end registers each run it starts (run::RunHandle does not).
#pragma once

#include <optional>
#include <string>

namespace barrage::run {

// "r-20261122-143005-3fa9": sortable, unique enough per machine.
std::string new_run_id();

// Registers this process as running `run_id`; unregisters when destroyed.
class RunRegistration {
 public:
  explicit RunRegistration(const std::string& run_id);
  ~RunRegistration();
  RunRegistration(const RunRegistration&) = delete;
  RunRegistration& operator=(const RunRegistration&) = delete;

 private:
  std::string path_;
};

// The process id running `run_id`, if registered and alive.
std::optional<int> find_run(const std::string& run_id);

// Whether `run_id` still has its entry (a run removes it as it exits).
bool is_registered(const std::string& run_id);

// `barrage stop RUN_ID`: asks the run to stop as Ctrl-C does (SIGINT).
struct StopSignal {
  enum Status { kSent, kNotFound, kFailed } status = kNotFound;
  int pid = 0;
  int error = 0;  // errno, for kFailed
};
StopSignal signal_stop(const std::string& run_id);
// Waits up to `wait_s` for the run signalled by signal_stop to end; true once
// it has (its entry gone, or the process).
bool wait_for_end(const std::string& run_id, int pid, int wait_s);

}  // namespace barrage::run
