// How many CPUs this process may use: the CPUs in its affinity mask
// (taskset, a container's cpuset), capped by its cgroup's CPU quota (a
// container's --cpus; cgroup v2 cpu.max or v1 cpu.cfs_quota_us), rounded up.
// What a default number of shards or worker processes should be, where
// std::thread::hardware_concurrency() counts every CPU of the machine.
#pragma once

#include <string>

namespace barrage {

// The quota as CPUs from a cgroup v2 `cpu.max` line ("max 100000",
// "150000 100000"): 0 when there is none or the text is not understood.
double cgroup_v2_quota_cpus(const std::string& cpu_max);
// The same from cgroup v1's cpu.cfs_quota_us and cpu.cfs_period_us (-1: none).
double cgroup_v1_quota_cpus(const std::string& quota_us, const std::string& period_us);

// min(affinity CPUs, ceil(quota)), at least 1.
int usable_cpus();

}  // namespace barrage
