#include "util/cpus.h"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace barrage {
namespace {

std::string read_small_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The process's cgroup path for a v1 controller or for v2 (controller ""),
// from /proc/self/cgroup ("hierarchy:controllers:path" lines).
std::string cgroup_path(const std::string& controller) {
  std::istringstream lines(read_small_file("/proc/self/cgroup"));
  std::string line;
  while (std::getline(lines, line)) {
    const auto a = line.find(':');
    const auto b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const bool match =
        controller.empty()
            ? controllers.empty()
            : ("," + controllers + ",").find("," + controller + ",") != std::string::npos;
    if (match) return line.substr(b + 1);
  }
  return {};
}

double to_number(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  return end == text.c_str() ? -1 : v;
}

double cgroup_quota_cpus() {
  // cgroup v2: the process's own cgroup, then the mount root (a container's view).
  for (const std::string& dir :
       {"/sys/fs/cgroup" + cgroup_path(""), std::string("/sys/fs/cgroup")}) {
    const std::string max = read_small_file(dir + "/cpu.max");
    if (!max.empty()) return cgroup_v2_quota_cpus(max);
  }
  for (const std::string& dir :
       {"/sys/fs/cgroup/cpu" + cgroup_path("cpu"), std::string("/sys/fs/cgroup/cpu")}) {
    const std::string quota = read_small_file(dir + "/cpu.cfs_quota_us");
    if (!quota.empty())
      return cgroup_v1_quota_cpus(quota, read_small_file(dir + "/cpu.cfs_period_us"));
  }
  return 0;
}

}  // namespace

double cgroup_v2_quota_cpus(const std::string& cpu_max) {
  std::istringstream in(cpu_max);
  std::string quota;
  std::string period;
  if (!(in >> quota) || quota == "max") return 0;
  if (!(in >> period)) period = "100000";
  const double q = to_number(quota);
  const double p = to_number(period);
  return q > 0 && p > 0 ? q / p : 0;
}

double cgroup_v1_quota_cpus(const std::string& quota_us, const std::string& period_us) {
  const double q = to_number(quota_us);
  const double p = to_number(period_us);
  return q > 0 && p > 0 ? q / p : 0;
}

int usable_cpus() {
  int cpus = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
  if (cpus <= 0) cpus = static_cast<int>(std::thread::hardware_concurrency());
  if (const double quota = cgroup_quota_cpus(); quota > 0) {
    cpus = std::min(cpus, static_cast<int>(std::ceil(quota)));
  }
  return std::max(1, cpus);
}

}  // namespace barrage
