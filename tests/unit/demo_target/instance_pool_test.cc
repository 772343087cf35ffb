#include "demo_target/instance_pool.h"

#include <gtest/gtest.h>

namespace barrage::demo_target {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST(TargetInstancePool, FirstRequestIsColdThenWarm) {
  InstancePool pool(100 * kMs, 0);
  auto a = pool.acquire(0);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->cold);
  EXPECT_EQ(a->instance, 1u);
  pool.release(a->instance, 10 * kMs);
  auto b = pool.acquire(20 * kMs);
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->cold);
  EXPECT_EQ(b->instance, 1u);
  EXPECT_EQ(pool.counts(20 * kMs).cold_starts, 1u);
}

TEST(TargetInstancePool, ConcurrentRequestsNeedNewInstances) {
  InstancePool pool(100 * kMs, 0);
  auto a = pool.acquire(0);
  auto b = pool.acquire(0);
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(b->cold);
  EXPECT_EQ(b->instance, 2u);
  const auto c = pool.counts(0);
  EXPECT_EQ(c.busy, 2u);
  EXPECT_EQ(c.cold_starts, 2u);
}

TEST(TargetInstancePool, MostRecentlyUsedIsReusedAndIdleExpire) {
  InstancePool pool(100 * kMs, 0);
  auto a = pool.acquire(0);
  auto b = pool.acquire(0);
  pool.release(a->instance, 10 * kMs);
  pool.release(b->instance, 50 * kMs);
  auto c = pool.acquire(60 * kMs);
  EXPECT_EQ(c->instance, b->instance);  // warmest first
  pool.release(c->instance, 60 * kMs);
  EXPECT_EQ(pool.counts(60 * kMs).idle, 2u);
  EXPECT_EQ(pool.counts(110 * kMs).idle, 1u);  // a idle since 10 ms: expired
  EXPECT_EQ(pool.counts(160 * kMs).idle, 0u);
  auto d = pool.acquire(200 * kMs);
  EXPECT_TRUE(d->cold);
  EXPECT_EQ(d->instance, 3u);
}

TEST(TargetInstancePool, ConcurrencyLimitThrottles) {
  InstancePool pool(100 * kMs, 2);
  auto a = pool.acquire(0);
  auto b = pool.acquire(0);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(pool.acquire(0).has_value());
  EXPECT_FALSE(pool.acquire(0).has_value());
  pool.release(a->instance, 1);
  EXPECT_TRUE(pool.acquire(2).has_value());
  EXPECT_EQ(pool.counts(2).throttled, 2u);
}

TEST(TargetInstancePool, ZeroIdleTimeoutNeverExpires) {
  InstancePool pool(0, 0);
  auto a = pool.acquire(0);
  pool.release(a->instance, 0);
  EXPECT_FALSE(pool.acquire(int64_t{1} << 60)->cold);
}

}  // namespace
}  // namespace barrage::demo_target
