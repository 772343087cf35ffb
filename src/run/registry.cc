#include "run/registry.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>

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

}  // namespace barrage::run
