// NodeHost: engine::HookHost over one Node.js child process per shard.
//
// The child runs host.js (compiled in) with `node -e`; it reads and writes
// length-prefixed JSON frames on fd 3, one end of a socketpair whose other end
// the shard's event loop watches (never blocking the loop: writes are
// buffered, reads parse whole frames). Node's stdout goes to our stderr, so a
// processor's console.log never mixes with a worker's protocol on stdout.
//
// Failure handling (docs/processors.md): a call that does not finish within
// the plan's hookTimeout fails its VU with EHOOKTIMEOUT; the host then pings
// the child, and a child that does not answer within kPingGrace (a processor
// looping forever) is killed and restarted: its pending calls fail with
// EPROCESSORHUNG and every VU whose context it held fails at its next call
// with EPROCESSORLOST. A child that exits fails its pending calls with
// EPROCESSOREXIT and is restarted the same way (at most kMaxRestarts times).
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "processor/host_js.h"
#include "processor/processor.h"
#include "script/json_escape.h"
#include "script/loader.h"

extern char** environ;  // NOLINT: POSIX

namespace barrage::processor {

namespace {

using engine::HookCall;
using engine::Nanos;
using nlohmann::json;

constexpr Nanos kPingGrace = 2 * engine::kNanosPerSecond;
constexpr int kMaxRestarts = 20;
constexpr int kLoadTimeoutMs = 60'000;
constexpr size_t kMaxFrame = 256u << 20;

// How long a hook call may wait for others to share its write to Node.js:
// $BARRAGE_HOOK_BATCH_US, default 2000 us (bench/processor.sh measures 0, 500
// and 2000: 2000 cost the least CPU per call, with VUs one at a time and with
// many at once).
Nanos batch_window() {
  if (const char* env = std::getenv("BARRAGE_HOOK_BATCH_US"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && v >= 0 && v <= 100'000) return Nanos{v} * engine::kNanosPerMicro;
  }
  return 2000 * engine::kNanosPerMicro;
}

void append_u32(std::string& out, uint32_t n) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
}

void append_string(std::string& out, std::string_view s) {
  out += '"';
  script::append_json_escaped(out, s);
  out += '"';
}

const char* kind_name(HookCall::Kind k) {
  switch (k) {
    case HookCall::Kind::kBeforeRequest:
      return "request";
    case HookCall::Kind::kAfterResponse:
      return "response";
    case HookCall::Kind::kFunction:
      break;
  }
  return "function";
}

// What a load reported.
struct LoadResult {
  bool ok = false;
  std::vector<std::string> exports;
  std::string message;
  int line = 0;
  int column = 0;
};

class NodeHost final : public engine::HookHost, public engine::IoHandler {
 public:
  NodeHost(std::string processor, std::string target, double timeout_s)
      : processor_(std::move(processor)),
        target_(std::move(target)),
        timeout_(static_cast<Nanos>(timeout_s * 1e9)) {
    spawn();
  }
  ~NodeHost() override { stop_child(/*hung=*/false); }
  NodeHost(const NodeHost&) = delete;
  NodeHost& operator=(const NodeHost&) = delete;

  // Blocks until the child has loaded the processor (before the loop runs).
  LoadResult wait_loaded() {
    LoadResult r;
    const Nanos deadline = engine::monotonic_now() + Nanos{kLoadTimeoutMs} * engine::kNanosPerMilli;
    for (;;) {
      flush_blocking();
      std::string frame;
      while (next_frame(frame)) {
        const json j = json::parse(frame, nullptr, false);
        const std::string t = j.is_object() ? j.value("t", "") : "";
        if (t == "loaded") {
          r.ok = true;
          for (const auto& e : j.value("exports", json::array())) {
            if (e.is_string()) r.exports.push_back(e.get<std::string>());
          }
          return r;
        }
        if (t == "loaderr") {
          r.message = j.value("message", "the processor did not load");
          r.line = j.value("line", 0);
          r.column = j.value("column", 0);
          return r;
        }
      }
      const Nanos left = deadline - engine::monotonic_now();
      if (left <= 0) {
        r.message =
            fmt::format("Node.js did not load the processor within {} s", kLoadTimeoutMs / 1000);
        return r;
      }
      pollfd p{fd_, POLLIN, 0};
      const int n = ::poll(&p, 1, static_cast<int>(left / engine::kNanosPerMilli) + 1);
      if (n < 0 && errno != EINTR) break;
      if (n > 0 && !read_available()) {
        r.message =
            fmt::format("Node.js ({}) exited before loading the processor", node_executable());
        return r;
      }
    }
    r.message = "lost the connection to Node.js while loading the processor";
    return r;
  }

  void attach(engine::EventLoop& loop) override {
    loop_ = &loop;
    ping_timer_ = std::make_unique<engine::Timer>(loop, &NodeHost::on_ping_timeout, this);
    send_timer_ = std::make_unique<engine::Timer>(loop, &NodeHost::on_send_timer, this);
    loop.watch(fd_, EPOLLIN, this);
    watching_out_ = false;
    flush();
  }

  void submit(HookCall& call) override {
    if (lost_vus_.contains(call.vu)) {
      call.reply.error = "EPROCESSORLOST";
      call.complete();
      return;
    }
    if (fd_ < 0) {
      call.reply.error = "EPROCESSORDOWN";
      call.complete();
      return;
    }
    call.id = ++next_id_;
    calls_.emplace(call.id, &call);
    known_vus_.insert(call.vu);
    encode_call(call);
    send_soon();
    call.deadline.arm(loop_->now() + timeout_);
  }

  void cancel(HookCall& call) noexcept override { calls_.erase(call.id); }

  void timed_out(HookCall& call) noexcept override {
    calls_.erase(call.id);
    call.reply.error = "EHOOKTIMEOUT";
    call.complete();
    // A hook that never calls next, or a child that no longer answers at
    // all (an endless loop): a ping tells them apart.
    if (!ping_pending_ && fd_ >= 0) {
      ping_pending_ = true;
      out_ += frame_of(fmt::format(R"({{"t":"ping","id":{}}})", ++next_id_));
      flush();
      ping_timer_->arm(loop_->now() + kPingGrace);
    }
  }

  void end_vu(uint64_t vu) noexcept override {
    lost_vus_.erase(vu);
    if (known_vus_.erase(vu) == 0 || fd_ < 0) return;
    out_ += frame_of(fmt::format(R"({{"t":"end","vu":{}}})", vu));
    send_soon();
  }

  void on_io(uint32_t events) noexcept override {
    if ((events & EPOLLOUT) != 0) flush();
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
      const bool open = read_available();
      std::string frame;
      while (next_frame(frame)) dispatch(frame);
      if (!open) child_failed("EPROCESSOREXIT");
    }
  }

  void load() { out_ += frame_of(fmt::format(R"({{"t":"load","path":{}}})", quoted(processor_))); }

 private:
  static std::string quoted(std::string_view s) {
    std::string out;
    append_string(out, s);
    return out;
  }

  static std::string frame_of(std::string_view body) {
    std::string out;
    append_u32(out, static_cast<uint32_t>(body.size()));
    out += body;
    return out;
  }

  // The script's variables (config.variables, what `before` captured,
  // loadAll payloads: the shard's globals, fixed for the run) go to the
  // child once; each new VU context starts with them.
  void send_globals(const script::Vars* globals) {
    globals_sent_ = globals;
    std::string m = R"({"t":"globals","vars":{)";
    bool first = true;
    for (const script::Vars* v = globals; v != nullptr; v = v->parent()) {
      for (const auto& [name, value] : v->own()) {
        if (!first) m += ',';
        first = false;
        append_string(m, name);
        m += ':';
        append_string(m, value);
      }
    }
    m += "}}";
    append_u32(out_, static_cast<uint32_t>(m.size()));
    out_ += m;
  }

  void encode_call(const HookCall& call) {
    if (call.vars->parent() != globals_sent_) send_globals(call.vars->parent());
    std::string& m = scratch_;
    m.clear();
    m += R"({"t":"call","id":)";
    m += std::to_string(call.id);
    m += R"(,"vu":)";
    m += std::to_string(call.vu);
    m += R"(,"kind":")";
    m += kind_name(call.kind);
    m += R"(","fns":[)";
    bool first = true;
    for (const auto& f : *call.functions) {
      if (!first) m += ',';
      first = false;
      append_string(m, f.name);
    }
    m += R"(],"target":)";
    append_string(m, target_);
    m += R"(,"vars":{)";
    first = true;
    // The VU's own variables, whole; the script's (the shard's globals, fixed
    // for the run) went once, before (send_globals).
    for (const auto& [name, value] : call.vars->own()) {
      if (!first) m += ',';
      first = false;
      append_string(m, name);
      m += ':';
      append_string(m, value);
    }
    m += '}';
    if (!call.request_json.empty()) {
      m += R"(,"req":)";
      m += call.request_json;
    }
    if (!call.response_json.empty()) {
      m += R"(,"res":)";
      m += call.response_json;
    }
    m += '}';
    append_u32(out_, static_cast<uint32_t>(m.size()));
    out_ += m;
  }

  void dispatch(const std::string& frame) {
    json j = json::parse(frame, nullptr, false);
    if (!j.is_object()) return;
    const std::string t = j.value("t", "");
    if (t == "pong") {
      ping_pending_ = false;
      if (ping_timer_) ping_timer_->disarm();
      return;
    }
    if (t != "done") return;
    const uint64_t id = j.value("id", uint64_t{0});
    auto it = calls_.find(id);
    if (it == calls_.end()) return;  // timed out or cancelled
    HookCall& call = *it->second;
    calls_.erase(it);
    engine::HookReply& r = call.reply;
    if (auto e = j.find("error"); e != j.end() && e->is_string()) {
      r.error = e->get<std::string>();
      if (r.error.empty()) r.error = "processor error";
    }
    if (auto v = j.find("vars"); v != j.end() && v->is_object()) {
      for (auto& [name, value] : v->items()) {
        if (value.is_string()) r.vars.emplace_back(name, value.get<std::string>());
      }
    }
    if (auto q = j.find("req"); q != j.end() && q->is_object()) r.request = q->dump();
    if (auto m = j.find("m"); m != j.end() && m->is_array()) {
      for (const auto& e : *m) {
        if (!e.is_array() || e.size() != 3 || !e[0].is_string() || !e[1].is_string()) continue;
        engine::HookMetric hm;
        const std::string type = e[0].get<std::string>();
        hm.type = type == "histogram" ? engine::HookMetric::Type::kHistogram
                  : type == "rate"    ? engine::HookMetric::Type::kRate
                  : type == "error"   ? engine::HookMetric::Type::kError
                                      : engine::HookMetric::Type::kCounter;
        hm.name = e[1].get<std::string>();
        hm.value = e[2].is_number() ? e[2].get<double>() : 0;
        r.metrics.push_back(std::move(hm));
      }
    }
    call.complete();
  }

  // Calls go out together: the first one queued arms a timer kBatchWindow
  // ahead and every call queued until it fires shares one write (and one
  // wake-up of Node, which answers them with one write too). At high call
  // rates this divides the per-call cost of the two processes' wake-ups;
  // the wait is hook time, not the target's latency.
  void send_soon() noexcept {
    if (send_timer_ && !send_timer_->armed()) send_timer_->arm(loop_->now() + batch_window_);
  }
  static void on_send_timer(void* self) noexcept { static_cast<NodeHost*>(self)->flush(); }

  static void on_ping_timeout(void* self) noexcept {
    static_cast<NodeHost*>(self)->child_failed("EPROCESSORHUNG");
  }

  // The child hung or exited: its pending calls fail with `error`, the VUs
  // whose contexts it held fail at their next call, and a new child starts.
  void child_failed(const char* error) noexcept {
    if (ping_timer_) ping_timer_->disarm();
    ping_pending_ = false;
    auto calls = std::move(calls_);
    calls_.clear();
    for (auto& [id, call] : calls) {
      call->reply.error = error;
      call->complete();
    }
    for (uint64_t vu : known_vus_) lost_vus_.insert(vu);
    known_vus_.clear();
    if (loop_ != nullptr && fd_ >= 0) loop_->unwatch(fd_);
    stop_child(std::strcmp(error, "EPROCESSORHUNG") == 0);
    if (++restarts_ > kMaxRestarts) {
      std::fprintf(stderr, "barrage: the processor's Node.js failed %d times; hooks now fail\n",
                   kMaxRestarts);
      return;
    }
    std::fprintf(
        stderr, "barrage: processor: Node.js %s; restarting it\n",
        std::strcmp(error, "EPROCESSORHUNG") == 0 ? "stopped answering (killed)" : "exited");
    try {
      spawn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "barrage: processor: %s\n", e.what());
      return;
    }
    if (loop_ != nullptr) {
      loop_->watch(fd_, EPOLLIN, this);
      watching_out_ = false;
      flush();
    }
  }

  void spawn() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      throw std::runtime_error(fmt::format("socketpair: {}", std::strerror(errno)));
    }
    if (sv[1] == 3) {  // dup2 onto itself would keep FD_CLOEXEC
      const int moved = ::fcntl(sv[1], F_DUPFD_CLOEXEC, 4);
      ::close(sv[1]);
      sv[1] = moved;
    }
    const std::string node = node_executable();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
    posix_spawn_file_actions_adddup2(&fa, 2, 1);  // console.log -> our stderr
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    std::string arg0 = "node";
    std::string arg1 = "-e";
    std::string arg2 = kHostJs;
    std::string arg3 = "barrage-processor-host";
    char* argv[] = {arg0.data(), arg1.data(), arg2.data(), arg3.data(), nullptr};
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, node.c_str(), &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(sv[1]);
    if (rc != 0) {
      ::close(sv[0]);
      throw std::runtime_error(fmt::format(
          "cannot start Node.js ('{}': {}); the processor needs Node.js 18 or newer (set "
          "BARRAGE_NODE to its path)",
          node, std::strerror(rc)));
    }
    fd_ = sv[0];
    pid_ = pid;
    globals_sent_ = nullptr;
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    in_.clear();
    out_.clear();
    load();
  }

  // Closing the socket ends a healthy child (host.js exits at EOF); one that
  // is hung, or still running kStopGrace later, is killed.
  void stop_child(bool hung) noexcept {
    constexpr Nanos kStopGrace = 500 * engine::kNanosPerMilli;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (pid_ > 0) {
      int status = 0;
      bool reaped = false;
      if (!hung) {
        const Nanos until = engine::monotonic_now() + kStopGrace;
        while (!reaped && engine::monotonic_now() < until) {
          const pid_t r = ::waitpid(pid_, &status, WNOHANG);
          reaped = r == pid_ || (r < 0 && errno != EINTR);
          if (!reaped) ::usleep(2000);
        }
      }
      if (!reaped) {
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
      }
    }
    pid_ = -1;
  }

  // Writes what is buffered; on a full socket waits for EPOLLOUT.
  void flush() noexcept {
    while (fd_ >= 0 && out_pos_ < out_.size()) {
      const ssize_t n = ::send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
      if (n > 0) {
        out_pos_ += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (loop_ != nullptr && !watching_out_) {
          loop_->rewatch(fd_, EPOLLIN | EPOLLOUT, this);
          watching_out_ = true;
        }
        return;
      }
      return;  // the child is gone; the read side reports it
    }
    out_.clear();
    out_pos_ = 0;
    if (loop_ != nullptr && watching_out_ && fd_ >= 0) {
      loop_->rewatch(fd_, EPOLLIN, this);
      watching_out_ = false;
    }
  }

  void flush_blocking() {
    while (fd_ >= 0 && out_pos_ < out_.size()) {
      flush();
      if (out_pos_ < out_.size()) {
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, 1000) < 0 && errno != EINTR) return;
      }
    }
  }

  // Reads what the socket has; false at EOF or a hard error.
  bool read_available() noexcept {
    char buf[64 * 1024];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) return false;
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
  }

  bool next_frame(std::string& frame) {
    if (in_.size() - in_pos_ < 4) return compact();
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) {
      n |= static_cast<uint32_t>(static_cast<unsigned char>(in_[in_pos_ + static_cast<size_t>(i)]))
           << (8 * i);
    }
    if (n > kMaxFrame || in_.size() - in_pos_ - 4 < n) return compact();
    frame.assign(in_, in_pos_ + 4, n);
    in_pos_ += 4 + n;
    return true;
  }

  bool compact() {
    if (in_pos_ > 0) {
      in_.erase(0, in_pos_);
      in_pos_ = 0;
    }
    return false;
  }

  std::string processor_;
  std::string target_;
  Nanos timeout_;
  int fd_ = -1;
  pid_t pid_ = -1;
  engine::EventLoop* loop_ = nullptr;
  std::unique_ptr<engine::Timer> ping_timer_;
  std::unique_ptr<engine::Timer> send_timer_;
  Nanos batch_window_ = batch_window();
  bool ping_pending_ = false;
  bool watching_out_ = false;
  int restarts_ = 0;
  std::string out_;
  size_t out_pos_ = 0;
  std::string in_;
  size_t in_pos_ = 0;
  std::string scratch_;
  uint64_t next_id_ = 0;
  const script::Vars* globals_sent_ = nullptr;  // to the current child
  std::unordered_map<uint64_t, HookCall*> calls_;
  std::unordered_set<uint64_t> known_vus_;  // VUs with a context in the current child
  std::unordered_set<uint64_t> lost_vus_;   // VUs whose context died with a child
};

std::vector<std::unique_ptr<NodeHost>> start_node_hosts(const script::Plan& plan, size_t count,
                                                        std::vector<LoadResult>& results) {
  std::vector<std::unique_ptr<NodeHost>> hosts;
  hosts.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    hosts.push_back(
        std::make_unique<NodeHost>(plan.processor->path, plan.target, plan.processor->timeout_s));
  }
  results.clear();
  for (auto& h : hosts) results.push_back(h->wait_loaded());
  return hosts;
}

// The host check_plan loaded, kept for the run that follows in this process
// (so a run starts one Node.js less). Taken by the first start_hosts for the
// same processor; only the thread that loads and runs uses it.
struct CheckedHost {
  std::string processor;
  std::unique_ptr<NodeHost> host;
};
CheckedHost& checked_host() {
  static CheckedHost slot;
  return slot;
}

std::string describe_load_error(const script::Plan& plan, const LoadResult& r) {
  if (r.line > 0) {
    return fmt::format("{}:{}:{}: {}", plan.processor->path, r.line, r.column, r.message);
  }
  return fmt::format("{}: {}", plan.processor->path, r.message);
}

}  // namespace

std::string node_executable() {
  if (const char* env = std::getenv("BARRAGE_NODE"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  std::string pinned = BARRAGE_NODE_DEFAULT;
  if (pinned.find('/') != std::string::npos && std::filesystem::exists(pinned, ec)) return pinned;
  return "node";
}

std::vector<std::unique_ptr<engine::HookHost>> start_hosts(const script::Plan& plan, size_t count) {
  std::vector<std::unique_ptr<engine::HookHost>> out;
  if (!plan.processor) return out;
  CheckedHost& checked = checked_host();
  if (checked.host && checked.processor == plan.processor->path && count > 0) {
    out.push_back(std::move(checked.host));
    --count;
  }
  checked.host.reset();
  std::vector<LoadResult> results;
  auto hosts = start_node_hosts(plan, count, results);
  for (const auto& r : results) {
    if (!r.ok) throw std::runtime_error("processor: " + describe_load_error(plan, r));
  }
  for (auto& h : hosts) out.push_back(std::move(h));
  return out;
}

Status check_plan(const script::Plan& plan) {
  if (!plan.processor) return {};
  std::vector<LoadResult> results;
  std::vector<std::unique_ptr<NodeHost>> hosts;
  try {
    hosts = start_node_hosts(plan, 1, results);
  } catch (const std::exception& e) {
    const auto& loc = plan.processor->loc;
    return fail(Error::at(loc.file, loc.line, loc.column, e.what()));
  }
  const LoadResult& r = results.front();
  if (!r.ok) {
    return fail(Error::at(plan.processor->path, r.line, r.column,
                          "the processor does not load: " + r.message));
  }
  const std::unordered_set<std::string> exports(r.exports.begin(), r.exports.end());
  for (const auto& ref : plan.processor->referenced) {
    if (exports.contains(ref.name)) continue;
    std::string list;
    for (const auto& e : r.exports) list += (list.empty() ? "" : ", ") + e;
    return fail(Error::at(
        ref.loc.file, ref.loc.line, ref.loc.column,
        fmt::format("function '{}' is not exported by the processor {} (it exports: {})", ref.name,
                    std::filesystem::path(plan.processor->path).filename().string(),
                    list.empty() ? "no functions" : list)));
  }
  checked_host() = CheckedHost{plan.processor->path, std::move(hosts.front())};
  return {};
}

void install() {
  engine::set_hook_host_factory(
      [](const script::Plan& plan, size_t count) { return start_hosts(plan, count); });
}

}  // namespace barrage::processor
