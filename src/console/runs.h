// The console's runs: each one a child process `barrage run SCRIPT` of the
// same binary (so a crashing run never takes the console down), named with
// the console's run id (`--run-id`, so `barrage stop ID` reaches it too),
// writing its per-second periods as NDJSON to a pipe (`--period-stream
// /dev/fd/3`, metrics/snapshot_json.h's format) and its JSON report at the
// end (`-o`). A thread per run reads the stream, stores each period
// (summarized, and the snapshot itself) and hands it to the live channel the
// server-sent events read; at the end it reaps the child and stores the
// status, exit code and report. Stop is the CLI's: SIGINT to the run
// (as run::signal_stop), sent once the run has registered, so never before
// `barrage run` handles it. The child gets SIGTERM if the console dies
// (PR_SET_PDEATHSIG), which stops it as Ctrl-C would; the console marks such a
// run "interrupted" when it starts again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "console/store.h"
#include "metrics/snapshot.h"
#include "util/error.h"

namespace barrage::console {

// One period's summary (what the live chart and the stored series show).
PeriodRow summarize(const metrics::Snapshot& s);

// The events of one running run, for any number of server-sent-event
// readers: every event since the start is kept (one per second), so a reader
// that joins late sees the whole series.
class LiveChannel {
 public:
  void push(std::string event);  // a complete SSE message ("event: ...\ndata: ...\n\n")
  void end(std::string event);   // the last message; wakes every reader
  void close();                  // the console shuts down: wakes every reader
  // Messages from index `from` on, waiting up to `timeout` for one; `ended`
  // is set once the channel has ended or closed and every message was given.
  std::vector<std::string> wait_from(size_t from, std::chrono::milliseconds timeout, bool* ended);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
  bool ended_ = false;
};

// SSE messages (also used for finished runs read from the store).
std::string period_event(const PeriodRow& p);
std::string end_event(const RunRow& r);

struct RunnerOptions {
  std::string barrage_exe;  // the binary to run as `barrage run`
  std::string runs_dir;     // DATA/runs: one folder per run (script, report, output)
  int max_runs = 4;         // runs at once
};

class RunManager {
 public:
  RunManager(Store& store, RunnerOptions options);
  ~RunManager();  // shutdown()
  RunManager(const RunManager&) = delete;
  RunManager& operator=(const RunManager&) = delete;

  // Error codes of start(): too many runs at once, or the run could not be
  // started (spawn, files, shutting down).
  static constexpr const char* kTooMany = "too_many_runs";
  static constexpr const char* kSpawn = "spawn";
  // Starts a run of `test` (its script as it is now): the new run's row.
  Result<RunRow> start(const TestRow& test);
  // Sends the stop (SIGINT); false when the run is not running here.
  bool stop(const std::string& run_id);
  // The live channel of a running run, or null (finished: read the store).
  std::shared_ptr<LiveChannel> channel(const std::string& run_id);
  // Stops every run, waits for them (their results are stored), closes the
  // channels.
  void shutdown();

 private:
  struct Active {
    int pid = 0;
    bool stop_requested = false;
    bool stop_sent = false;
    std::shared_ptr<LiveChannel> channel;
    std::thread reader;
  };
  void follow(const std::string& run_id, int read_fd, const std::string& dir);
  // Sends a requested stop once the run has registered (run/registry.h).
  void send_pending_stop(const std::string& run_id);

  Store& store_;
  RunnerOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Active>> active_;
  std::vector<std::thread> finished_;  // reader threads of runs that ended, joined later
  bool shut_down_ = false;
};

}  // namespace barrage::console
