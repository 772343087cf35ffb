// RFC 8305 racing decisions on simulated time: no sockets, no sleeping.
#include "engine/happy_eyeballs.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <vector>

#include "util/simulated_clock.h"

namespace barrage::engine {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kDelay = HappyEyeballs::kDefaultAttemptDelay;

TEST(HappyEyeballs, InterleavesFamiliesStartingWithTheFirstAddresssFamily) {
  const std::vector<int> f{AF_INET6, AF_INET6, AF_INET, AF_INET};
  EXPECT_EQ(HappyEyeballs(f, 0).order(), (std::vector<uint32_t>{0, 2, 1, 3}));
  const std::vector<int> g{AF_INET, AF_INET6, AF_INET6, AF_INET6};
  EXPECT_EQ(HappyEyeballs(g, 0).order(), (std::vector<uint32_t>{0, 1, 2, 3}));
  const std::vector<int> one_family{AF_INET, AF_INET, AF_INET};
  EXPECT_EQ(HappyEyeballs(one_family, 0).order(), (std::vector<uint32_t>{0, 1, 2}));
}

TEST(HappyEyeballs, StartsAtThePreferredAddress) {
  // Debian's localhost: ::1 then 127.0.0.1; 127.0.0.1 won last time.
  const std::vector<int> f{AF_INET6, AF_INET};
  EXPECT_EQ(HappyEyeballs(f, 1).order(), (std::vector<uint32_t>{1, 0}));
  const std::vector<int> g{AF_INET6, AF_INET, AF_INET6, AF_INET};
  EXPECT_EQ(HappyEyeballs(g, 2).order(), (std::vector<uint32_t>{2, 3, 0, 1}));
  // An index out of range (the host's addresses changed) starts at 0.
  EXPECT_EQ(HappyEyeballs(f, 7).order(), (std::vector<uint32_t>{0, 1}));
}

TEST(HappyEyeballs, NextAddressStartsAfterTheAttemptDelay) {
  SimulatedClock clock;
  const std::vector<int> f{AF_INET6, AF_INET};
  HappyEyeballs he(f, 0);
  const int64_t t0 = clock.now_ns();
  EXPECT_EQ(he.next(t0), 0u);
  EXPECT_EQ(he.next(t0), std::nullopt);  // one at a time
  EXPECT_EQ(he.wake_at(), t0 + kDelay);
  clock.advance(kDelay - 1);
  EXPECT_EQ(he.next(clock.now_ns()), std::nullopt);
  clock.advance(1);
  EXPECT_EQ(he.next(clock.now_ns()), 1u);  // the first keeps going: both race
  EXPECT_EQ(he.in_flight(), 2u);
  EXPECT_EQ(he.wake_at(), HappyEyeballs::kNever);  // nothing left to start
  EXPECT_FALSE(he.lost());
}

TEST(HappyEyeballs, AFailureStartsTheNextAddressAtOnce) {
  SimulatedClock clock;
  const std::vector<int> f{AF_INET6, AF_INET, AF_INET6};
  HappyEyeballs he(f, 0);
  EXPECT_EQ(he.next(clock.now_ns()), 0u);
  clock.advance(1 * kMs);
  he.failed(0);                                    // ECONNREFUSED from ::1
  EXPECT_EQ(he.wake_at(), HappyEyeballs::kNever);  // none in flight: the caller asks now
  EXPECT_EQ(he.next(clock.now_ns()), 1u);
  clock.advance(kDelay);
  EXPECT_EQ(he.next(clock.now_ns()), 2u);
  EXPECT_EQ(he.in_flight(), 2u);
}

TEST(HappyEyeballs, AFailureWhileAnotherIsInFlightDoesNotWaitTheDelay) {
  SimulatedClock clock;
  const std::vector<int> f{AF_INET6, AF_INET, AF_INET6};
  HappyEyeballs he(f, 0);
  EXPECT_EQ(he.next(clock.now_ns()), 0u);  // ::1 black-holes
  clock.advance(kDelay);
  EXPECT_EQ(he.next(clock.now_ns()), 1u);
  clock.advance(2 * kMs);
  he.failed(1);  // refused at once
  EXPECT_LE(he.wake_at(), clock.now_ns());
  EXPECT_EQ(he.next(clock.now_ns()), 2u);
  EXPECT_EQ(he.next(clock.now_ns()), std::nullopt);
}

TEST(HappyEyeballs, LostOnlyWhenEveryAddressFailed) {
  SimulatedClock clock;
  const std::vector<int> f{AF_INET6, AF_INET};
  HappyEyeballs he(f, 0);
  EXPECT_EQ(he.next(clock.now_ns()), 0u);
  he.failed(0);
  EXPECT_FALSE(he.lost());  // 127.0.0.1 not tried yet
  EXPECT_EQ(he.next(clock.now_ns()), 1u);
  EXPECT_FALSE(he.lost());
  he.failed(1);
  EXPECT_TRUE(he.lost());
  EXPECT_EQ(he.next(clock.now_ns()), std::nullopt);
}

TEST(HappyEyeballs, ASingleAddressNeverWakes) {
  const std::vector<int> f{AF_INET};
  HappyEyeballs he(f, 0);
  EXPECT_EQ(he.next(0), 0u);
  EXPECT_EQ(he.wake_at(), HappyEyeballs::kNever);
  EXPECT_EQ(he.next(10 * kDelay), std::nullopt);
}

TEST(HappyEyeballs, NoAddressesIsLostAtOnce) {
  HappyEyeballs he(std::vector<int>{}, 0);
  EXPECT_TRUE(he.lost());
  EXPECT_EQ(he.next(0), std::nullopt);
}

}  // namespace
}  // namespace barrage::engine
