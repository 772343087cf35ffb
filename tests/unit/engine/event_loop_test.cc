#include "engine/event_loop.h"

#include <gtest/gtest.h>

#include <vector>

#include "engine/task.h"

namespace barrage::engine {
namespace {

struct Fired {
  std::vector<int>* order;
  int id;
  static void fire(void* self) noexcept {
    auto* f = static_cast<Fired*>(self);
    f->order->push_back(f->id);
  }
};

TEST(EventLoop, TimersFireInDeadlineOrder) {
  EventLoop loop;
  std::vector<int> order;
  Fired a{&order, 1}, b{&order, 2}, c{&order, 3};
  Timer ta(loop, &Fired::fire, &a), tb(loop, &Fired::fire, &b), tc(loop, &Fired::fire, &c);
  const Nanos now = monotonic_now();
  tc.arm(now + 3 * kNanosPerMilli);
  ta.arm(now + 1 * kNanosPerMilli);
  tb.arm(now + 2 * kNanosPerMilli);
  while (order.size() < 3) loop.run_once(10 * kNanosPerMilli);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(EventLoop, DisarmedTimerDoesNotFire) {
  EventLoop loop;
  std::vector<int> order;
  Fired a{&order, 1}, b{&order, 2};
  Timer ta(loop, &Fired::fire, &a), tb(loop, &Fired::fire, &b);
  const Nanos now = monotonic_now();
  ta.arm(now + kNanosPerMilli);
  tb.arm(now + 2 * kNanosPerMilli);
  ta.disarm();
  while (order.empty()) loop.run_once(10 * kNanosPerMilli);
  EXPECT_EQ(order, (std::vector<int>{2}));
  EXPECT_EQ(loop.armed_timers(), 0u);
}

TEST(EventLoop, TimerPrecisionIsSubMillisecond) {
  // epoll_pwait2 waits in nanoseconds; with epoll_wait a 300 us timer would
  // fire a whole millisecond late. Loose bound: this is not a benchmark.
  EventLoop loop;
  std::vector<int> order;
  Fired a{&order, 1};
  Timer t(loop, &Fired::fire, &a);
  const Nanos start = monotonic_now();
  t.arm(start + 300 * kNanosPerMicro);
  while (order.empty()) loop.run_once(kNanosPerSecond);
  EXPECT_GE(monotonic_now() - start, 300 * kNanosPerMicro);
}

Task<int> add_one(int x) { co_return x + 1; }
Task<void> chain(int& out) { out = co_await add_one(co_await add_one(1)); }

TEST(Task, AwaitsNestedTasks) {
  int out = 0;
  Task<void> t = chain(out);
  t.handle().resume();
  EXPECT_TRUE(t.done());
  EXPECT_EQ(out, 3);
}

}  // namespace
}  // namespace barrage::engine
