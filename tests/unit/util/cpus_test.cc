#include "util/cpus.h"

#include <gtest/gtest.h>
#include <sched.h>

namespace barrage {
namespace {

TEST(Cpus, CgroupV2Quota) {
  EXPECT_EQ(cgroup_v2_quota_cpus("max 100000\n"), 0);
  EXPECT_DOUBLE_EQ(cgroup_v2_quota_cpus("150000 100000\n"), 1.5);
  EXPECT_DOUBLE_EQ(cgroup_v2_quota_cpus("200000 100000"), 2.0);
  EXPECT_DOUBLE_EQ(cgroup_v2_quota_cpus("50000"), 0.5);  // period defaults to 100 ms
  EXPECT_EQ(cgroup_v2_quota_cpus(""), 0);
  EXPECT_EQ(cgroup_v2_quota_cpus("nonsense here"), 0);
}

TEST(Cpus, CgroupV1Quota) {
  EXPECT_EQ(cgroup_v1_quota_cpus("-1\n", "100000\n"), 0);
  EXPECT_DOUBLE_EQ(cgroup_v1_quota_cpus("300000\n", "100000\n"), 3.0);
  EXPECT_EQ(cgroup_v1_quota_cpus("100000", ""), 0);
}

TEST(Cpus, NeverMoreThanTheAffinityMask) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  EXPECT_GE(usable_cpus(), 1);
  EXPECT_LE(usable_cpus(), CPU_COUNT(&set));
}

TEST(Cpus, FollowsAChangedAffinityMask) {
  cpu_set_t before;
  CPU_ZERO(&before);
  ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
  int first = 0;
  while (!CPU_ISSET(first, &before)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  const int seen = usable_cpus();
  ASSERT_EQ(sched_setaffinity(0, sizeof before, &before), 0);
  EXPECT_EQ(seen, 1);
}

}  // namespace
}  // namespace barrage
