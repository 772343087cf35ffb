#include "console/runs.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <sstream>

#include "console/json_io.h"
#include "metrics/snapshot_json.h"
#include "run/registry.h"

namespace barrage::console {

namespace fs = std::filesystem;

PeriodRow summarize(const metrics::Snapshot& s) {
  PeriodRow p;
  p.start_ms = s.period_start_ms;
  p.end_ms = s.period_end_ms;
  p.requests = s.counter("http.requests");
  p.responses = s.counter("http.responses");
  p.vusers_created = s.counter("vusers.created");
  for (const auto& [name, n] : s.counters) {
    if (name.starts_with("errors.")) p.errors += n;
  }
  const int64_t ms = p.end_ms - p.start_ms;
  if (ms > 0) p.rps = static_cast<double>(p.requests) * 1000.0 / static_cast<double>(ms);
  if (const auto* h = s.find_histogram("http.response_time"); h != nullptr && h->count() > 0) {
    p.p50_ms = static_cast<double>(h->percentile(50)) / 1000.0;
    p.p95_ms = static_cast<double>(h->percentile(95)) / 1000.0;
    p.p99_ms = static_cast<double>(h->percentile(99)) / 1000.0;
  }
  return p;
}

std::string period_event(const PeriodRow& p) {
  return "event: period\ndata: " + to_json(p).dump() + "\n\n";
}

std::string end_event(const RunRow& r) { return "event: end\ndata: " + to_json(r).dump() + "\n\n"; }

void LiveChannel::push(std::string event) {
  {
    const std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  cv_.notify_all();
}

void LiveChannel::end(std::string event) {
  {
    const std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
    ended_ = true;
  }
  cv_.notify_all();
}

void LiveChannel::close() {
  {
    const std::lock_guard lock(mutex_);
    ended_ = true;
  }
  cv_.notify_all();
}

std::vector<std::string> LiveChannel::wait_from(size_t from, std::chrono::milliseconds timeout,
                                                bool* ended) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [&] { return ended_ || events_.size() > from; });
  std::vector<std::string> out;
  if (from < events_.size())
    out.assign(events_.begin() + static_cast<ptrdiff_t>(from), events_.end());
  *ended = ended_;
  return out;
}

RunManager::RunManager(Store& store, RunnerOptions options)
    : store_(store), options_(std::move(options)) {}

RunManager::~RunManager() { shutdown(); }

namespace {

std::string read_file(const fs::path& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (text.size() > max_bytes) text.erase(0, text.size() - max_bytes);
  return text;
}

// Forks and execs the run; the child's fd 3 is the period stream's write end.
// Returns the pid, or -1 with errno.
int spawn(const std::vector<std::string>& args, int stream_fd, int log_fd, int null_fd) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // The child: only async-signal-safe calls until execv.
  prctl(PR_SET_PDEATHSIG, SIGTERM);  // the console died: stop as Ctrl-C would
  if (getppid() != parent) _exit(127);
  setpgid(0, 0);  // a Ctrl-C at the console's terminal reaches the console only
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0) _exit(127);
  if (stream_fd == 3) {
    if (fcntl(3, F_SETFD, 0) < 0) _exit(127);
  } else if (dup2(stream_fd, 3) < 0) {
    _exit(127);
  }
  close_range(4, ~0U, 0);
  execv(argv[0], argv.data());
  _exit(127);
}

// Status of a child that ended (see RunRow).
std::string status_of(int wstatus, bool stop_requested, std::optional<int>* exit_code,
                      std::string* error) {
  if (WIFEXITED(wstatus)) {
    const int code = WEXITSTATUS(wstatus);
    *exit_code = code;
    if (code == 0) return "passed";
    if (code == 1 || code == 21) return "failed";
    if (code == 130) return "stopped";
    return "error";
  }
  const int sig = WTERMSIG(wstatus);
  if (stop_requested && (sig == SIGINT || sig == SIGTERM)) return "stopped";
  *error = std::string("the run process died of signal ") + std::to_string(sig) + " (" +
           strsignal(sig) + ")";
  return "crashed";
}

}  // namespace

// An error of RunManager::start: `message` with its code.
static Error start_error(std::string message, const char* code) {
  Error e;
  e.message = std::move(message);
  e.code = code;
  return e;
}

Result<RunRow> RunManager::start(const TestRow& test) {
  const std::lock_guard lock(mutex_);
  if (shut_down_) {
    return fail(start_error("the console is shutting down", RunManager::kSpawn));
  }
  if (static_cast<int>(active_.size()) >= options_.max_runs) {
    return fail(start_error(std::to_string(options_.max_runs) +
                                " runs are running already (the console's --max-runs); "
                                "stop one or wait",
                            RunManager::kTooMany));
  }
  RunRow run;
  run.id = run::new_run_id();
  while (active_.count(run.id) != 0 || store_.run(run.id)) run.id = run::new_run_id();
  run.test_id = test.id;
  run.test_name = test.name;
  run.status = "running";
  run.script = test.script;
  run.started_ms = now_ms();

  const fs::path dir = fs::path(options_.runs_dir) / run.id;
  std::error_code ec;
  fs::create_directories(dir, ec);
  {
    std::ofstream out(dir / "script.yml", std::ios::binary | std::ios::trunc);
    out << test.script;
    if (!out.flush()) ec = std::make_error_code(std::errc::io_error);
  }
  if (ec) {
    return fail(start_error("cannot write " + (dir / "script.yml").string() + ": " + ec.message(),
                            RunManager::kSpawn));
  }
  store_.create_run(run);

  // The reader thread forks the child itself, so the child's parent-death
  // signal is tied to a thread that lives exactly as long as the run.
  auto active = std::make_unique<Active>();
  active->channel = std::make_shared<LiveChannel>();
  Active* a = active.get();
  active_[run.id] = std::move(active);
  std::promise<std::string> started;  // "" or why the spawn failed
  auto started_f = started.get_future();
  a->reader = std::thread([this, id = run.id, dir, &started, a] {
    int fds[2];
    const int log_fd =
        ::open((dir / "output.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_fd < 0 || null_fd < 0 || pipe2(fds, O_CLOEXEC) != 0) {
      const std::string err = std::strerror(errno);
      if (log_fd >= 0) ::close(log_fd);
      if (null_fd >= 0) ::close(null_fd);
      started.set_value("cannot prepare the run process: " + err);
      return;
    }
    const std::vector<std::string> args = {options_.barrage_exe,
                                           "run",
                                           (dir / "script.yml").string(),
                                           "-q",
                                           "-o",
                                           (dir / "report.json").string(),
                                           "--period-ms",
                                           "1000",
                                           "--run-id",
                                           id,
                                           "--period-stream",
                                           "/dev/fd/3"};
    const int pid = spawn(args, fds[1], log_fd, null_fd);
    const int spawn_errno = errno;
    ::close(fds[1]);
    ::close(log_fd);
    ::close(null_fd);
    if (pid < 0) {
      ::close(fds[0]);
      started.set_value(std::string("fork failed: ") + std::strerror(spawn_errno));
      return;
    }
    a->pid = pid;  // before the promise: start() reads it under its lock
    started.set_value("");
    follow(id, fds[0], dir.string());
  });
  const std::string failure = started_f.get();
  if (!failure.empty()) {
    a->reader.join();
    active_.erase(run.id);
    store_.finish_run(run.id, "error", std::nullopt, failure, std::nullopt);
    return fail(start_error(failure, RunManager::kSpawn));
  }
  return run;
}

void RunManager::follow(const std::string& run_id, int read_fd, const std::string& dir) {
  std::shared_ptr<LiveChannel> channel;
  int pid = 0;
  {
    const std::lock_guard lock(mutex_);
    channel = active_.at(run_id)->channel;
    pid = active_.at(run_id)->pid;
  }
  std::string buffer;
  char chunk[65536];
  std::string store_error;
  for (;;) {
    // Poll so that a stop asked before the run had registered (so before it
    // handled SIGINT) is sent once it has.
    pollfd pfd{read_fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, 100);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) {
      send_pending_stop(run_id);
      continue;
    }
    const ssize_t n = ::read(read_fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
      const std::string_view line(buffer.data() + start, nl - start);
      const auto snapshot = metrics::snapshot_from_json(line);
      if (!snapshot) continue;  // not a period line: ignored
      const PeriodRow row = summarize(*snapshot);
      try {
        store_.add_period(run_id, row, std::string(line));
      } catch (const StoreError& e) {
        store_error = e.what();
      }
      channel->push(period_event(row));
    }
    buffer.erase(0, start);
  }
  ::close(read_fd);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  bool stop_requested = false;
  {
    const std::lock_guard lock(mutex_);
    stop_requested = active_.at(run_id)->stop_requested;
  }
  std::optional<int> exit_code;
  std::string error;
  std::string status = status_of(wstatus, stop_requested, &exit_code, &error);
  if (status == "error" && error.empty()) {
    error = "barrage run exited with code " + std::to_string(exit_code.value_or(-1)) + ": " +
            read_file(fs::path(dir) / "output.log", 2000);
  }
  if (!store_error.empty()) error += (error.empty() ? "" : "; ") + store_error;
  std::optional<std::string> report;
  if (std::string text = read_file(fs::path(dir) / "report.json", SIZE_MAX); !text.empty()) {
    report = std::move(text);
  }
  std::optional<RunRow> row;
  try {
    store_.finish_run(run_id, status, exit_code, error, report);
    row = store_.run(run_id);
  } catch (const StoreError&) {
  }
  if (!row) {
    row = RunRow{};
    row->id = run_id;
    row->status = status;
    row->exit_code = exit_code;
    row->error = error;
  }
  const std::lock_guard lock(mutex_);
  channel->end(end_event(*row));
  auto it = active_.find(run_id);
  finished_.push_back(std::move(it->second->reader));
  active_.erase(it);
}

bool RunManager::stop(const std::string& run_id) {
  {
    const std::lock_guard lock(mutex_);
    auto it = active_.find(run_id);
    if (it == active_.end() || it->second->pid <= 0) return false;
    it->second->stop_requested = true;
  }
  send_pending_stop(run_id);
  return true;
}

void RunManager::send_pending_stop(const std::string& run_id) {
  const std::lock_guard lock(mutex_);
  auto it = active_.find(run_id);
  if (it == active_.end() || !it->second->stop_requested || it->second->stop_sent) return;
  // The CLI's stop (`barrage stop`, run::signal_stop): SIGINT, as Ctrl-C, to
  // the run once it has registered (its handlers are in place by then: a
  // SIGINT before would end it without its report).
  const auto registered = run::find_run(run_id);
  if (!registered || *registered != it->second->pid) return;
  ::kill(it->second->pid, SIGINT);
  it->second->stop_sent = true;
}

std::shared_ptr<LiveChannel> RunManager::channel(const std::string& run_id) {
  const std::lock_guard lock(mutex_);
  auto it = active_.find(run_id);
  return it == active_.end() ? nullptr : it->second->channel;
}

void RunManager::shutdown() {
  std::vector<std::string> ids;
  {
    const std::lock_guard lock(mutex_);
    shut_down_ = true;
    for (auto& [id, a] : active_) ids.push_back(id);
  }
  for (const auto& id : ids) stop(id);
  // Each reader ends once its run has ended (a stop ends every VU at once);
  // a run still there after 15 s is killed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  bool killed = false;
  for (;;) {
    if (!killed && std::chrono::steady_clock::now() > deadline) {
      const std::lock_guard lock(mutex_);
      for (auto& [id, a] : active_) {
        if (a->pid > 0) ::kill(a->pid, SIGKILL);
      }
      killed = true;
    }
    std::vector<std::thread> to_join;
    bool empty = false;
    {
      const std::lock_guard lock(mutex_);
      to_join.swap(finished_);
      empty = active_.empty();
    }
    for (auto& t : to_join) t.join();
    if (empty) {
      const std::lock_guard lock(mutex_);
      if (finished_.empty()) break;
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace barrage::console
