#include "run/registry.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace barrage::run {

namespace {

namespace fs = std::filesystem;

fs::path runs_dir() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (xdg != nullptr && *xdg != '\0') return fs::path(xdg) / "barrage" / "runs";
  return fs::path("/tmp") / ("barrage-" + std::to_string(getuid())) / "runs";
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  }
  return true;
}

}  // namespace

std::string new_run_id() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", rd() & 0xffffU);
  return std::string("r-") + buf + "-" + suffix;
}

RunRegistration::RunRegistration(const std::string& run_id) {
  std::error_code ec;
  const fs::path dir = runs_dir();
  fs::create_directories(dir, ec);
  fs::permissions(dir.parent_path(), fs::perms::owner_all, fs::perm_options::replace, ec);
  path_ = (dir / run_id).string();
  std::ofstream(path_) << getpid() << "\n";
}

RunRegistration::~RunRegistration() {
  std::error_code ec;
  fs::remove(path_, ec);
}

std::optional<int> find_run(const std::string& run_id) {
  if (!valid_id(run_id)) return std::nullopt;
  std::ifstream in(runs_dir() / run_id);
  int pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  if (::kill(pid, 0) != 0) return std::nullopt;  // stale entry
  return pid;
}

bool is_registered(const std::string& run_id) {
  std::error_code ec;
  return valid_id(run_id) && fs::exists(runs_dir() / run_id, ec);
}

StopSignal signal_stop(const std::string& run_id) {
  StopSignal s;
  const auto pid = find_run(run_id);
  if (!pid) return s;
  s.pid = *pid;
  if (::kill(*pid, SIGINT) != 0) {
    s.status = StopSignal::kFailed;
    s.error = errno;
    return s;
  }
  s.status = StopSignal::kSent;
  return s;
}

bool wait_for_end(const std::string& run_id, int pid, int wait_s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  while (std::chrono::steady_clock::now() < until) {
    // The run removes its entry as it exits (a zombie still answers kill 0).
    if (!is_registered(run_id) || ::kill(pid, 0) != 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace barrage::run
