#include "fleet/worker.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <optional>
#include <stdexcept>
#include <thread>

#include "engine/runner.h"
#include "metrics/summary.h"
#include "script/loader.h"

namespace barrage::fleet {

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

void count_fds(int64_t* sockets, int64_t* total) {
  *sockets = 0;
  *total = 0;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return;
  char link[64];
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    ++*total;
    const std::string path = std::string("/proc/self/fd/") + e->d_name;
    const ssize_t n = readlink(path.c_str(), link, sizeof link - 1);
    if (n > 7 && std::string_view(link, 7) == "socket:") ++*sockets;
  }
  closedir(dir);
}

Worker::Worker(WorkerJob job, Output output)
    : job_(std::move(job)), output_(std::move(output)), seq_(uint64_t{job_.segment} << 32) {
  script::LoadOptions lo;
  static_cast<script::ScriptOptions&>(lo) = job_.load;
  lo.target_override = job_.target;
  auto plan = script::load_plan_string(job_.script_text, job_.script_path, lo);
  if (!plan) throw std::runtime_error(plan.error().describe());
  plan_ = std::move(*plan);
}

void Worker::send(Message m) {
  std::lock_guard lock(mutex_);
  m.run_id = job_.run_id;
  m.worker = job_.worker;
  m.seq = ++seq_;
  if (m.kind == Kind::kBatch) ++batches_;
  if (m.kind == Kind::kDone) m.batches = batches_;
  for (const auto& e : encode(m)) output_(e);
}

void Worker::send_ready() {
  Message m;
  m.kind = Kind::kReady;
  m.pid = getpid();
  m.cores = job_.cores;
  send(std::move(m));
}

void Worker::send_error(const std::string& reason, const std::vector<std::string>& log) {
  Message m;
  m.kind = Kind::kError;
  m.reason = reason;
  m.log = log;
  send(std::move(m));
}

bool Worker::run(int64_t start_wall_ms, const std::atomic<bool>* stop) {
  engine::RunOptions options;
  options.cores = job_.cores;
  options.insecure = job_.insecure;
  options.target = job_.target;
  options.seed = job_.seed;
  options.period_ms = job_.period_ms;
  options.drain_timeout_ms = job_.drain_timeout_ms;
  options.slice_base = job_.slice_base;
  options.slice_total = job_.slice_total;
  options.start_wall_ms = start_wall_ms;
  options.window_from_ms = job_.window_from_ms;
  options.window_to_ms = job_.window_to_ms;
  // `before`/`after` ran once, in the coordinator; what `before` captured
  // comes with the job.
  options.run_hooks = false;
  options.shared_vars.assign(job_.variables.begin(), job_.variables.end());

  std::mutex hb_mutex;
  std::condition_variable hb_cv;
  bool finished = false;
  engine::Progress progress;
  double lag_p99_ms = 0;

  engine::RunCallbacks callbacks;
  callbacks.on_period = [&](const metrics::Snapshot& s) {
    Message m;
    m.kind = Kind::kBatch;
    // The aligned start keys the period across workers (the first period's
    // snapshot starts at the run's start; engine/periods.h).
    m.period_start_ms = job_.period_ms > 0 ? s.period_start_ms - s.period_start_ms % job_.period_ms
                                           : s.period_start_ms;
    m.snapshot = s;
    send(std::move(m));
    if (const auto* h = s.find_histogram("barrage.scheduling_lag"); h != nullptr && !h->empty()) {
      std::lock_guard lock(hb_mutex);
      lag_p99_ms = static_cast<double>(metrics::summarize(*h).p99) / 1000.0;
    }
  };
  callbacks.on_progress = [&](const engine::Progress& p) {
    std::lock_guard lock(hb_mutex);
    progress = p;
  };

  std::thread heartbeat([&] {
    double last_cpu = cpu_seconds();
    auto last = std::chrono::steady_clock::now();
    std::unique_lock lock(hb_mutex);
    while (!hb_cv.wait_for(lock, std::chrono::milliseconds(job_.heartbeat_ms),
                           [&] { return finished; })) {
      const double cpu = cpu_seconds();
      const auto now = std::chrono::steady_clock::now();
      const double wall = std::chrono::duration<double>(now - last).count();
      Message m;
      m.kind = Kind::kHeartbeat;
      auto& h = m.heartbeat;
      h.cpu = wall > 0 ? (cpu - last_cpu) / wall / job_.cores : 0;
      h.lag_p99_ms = lag_p99_ms;
      h.requests = progress.requests;
      h.responses = progress.responses;
      h.active_vus = progress.active_vus;
      h.phase = progress.phase;
      h.elapsed_s = progress.elapsed_s;
      last_cpu = cpu;
      last = now;
      lock.unlock();
      count_fds(&h.connections, &h.fds);
      send(std::move(m));
      lock.lock();
    }
  });

  bool ok = true;
  engine::RunResult result;
  try {
    result = engine::run_plan(plan_, options, callbacks, stop);
  } catch (const std::exception& e) {
    ok = false;
    send_error(e.what(), {});
  }
  {
    std::lock_guard lock(hb_mutex);
    finished = true;
  }
  hb_cv.notify_all();
  heartbeat.join();
  if (ok) {
    Message m;
    m.kind = Kind::kDone;
    m.interrupted = result.interrupted;
    if (done_extras_) {
      const DoneExtras x = done_extras_(result.interrupted);
      m.more = x.more;
      m.duration_ms = x.duration_ms;
      m.sqs_requests = x.sqs_requests;
      m.s3_requests = x.s3_requests;
    } else {
      m.more = job_.segment + 1 < job_.segments && !result.interrupted;
    }
    send(std::move(m));
  }
  return ok;
}

}  // namespace barrage::fleet
