#include "engine/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <stdexcept>
#include <utility>

namespace barrage::engine {

Nanos monotonic_now() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<Nanos>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

Timer::~Timer() { disarm(); }

void Timer::arm(Nanos deadline) noexcept {
  if (armed()) loop_->heap_remove(this);
  deadline_ = deadline;
  loop_->heap_push(this);
}

void Timer::disarm() noexcept {
  if (armed()) loop_->heap_remove(this);
}

namespace {
// Dummy handler marker for the wake-up eventfd.
class WakeHandler final : public IoHandler {
 public:
  void on_io(uint32_t /*events*/) noexcept override {}
};
WakeHandler wake_marker;  // stateless: never mutated
}  // namespace

EventLoop::EventLoop() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epfd_ < 0 || wakefd_ < 0) throw std::runtime_error("epoll/eventfd creation failed");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = static_cast<IoHandler*>(&wake_marker);
  epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
  now_ = monotonic_now();
}

EventLoop::~EventLoop() {
  for (Timer* t : heap_) t->index_ = Timer::kNotArmed;
  if (wakefd_ >= 0) ::close(wakefd_);
  if (epfd_ >= 0) ::close(epfd_);
}

bool EventLoop::watch(int fd, uint32_t events, IoHandler* handler) noexcept {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::rewatch(int fd, uint32_t events, IoHandler* handler) noexcept {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::unwatch(int fd) noexcept { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::stop_from_any_thread() noexcept {
  stopping_.store(true, std::memory_order_release);
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wakefd_, &one, sizeof one);
}

void EventLoop::run() {
  while (!stopping_.load(std::memory_order_acquire)) {
    run_once(kNanosPerSecond);
  }
}

void EventLoop::run_once(Nanos max_wait) {
  // Timer slack is per thread (50 us by default): the kernel may delay a
  // wake-up by that much, which shows up as scheduling lag and response time.
  // 1 ns asks for the tightest wake-ups the kernel gives.
  static thread_local const bool slack_set = prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) == 0;
  (void)slack_set;
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  const Nanos before = monotonic_now();
  if (before - spin_epoch_ >= kNanosPerSecond) {
    spin_epoch_ = before;
    spin_used_ = 0;
  }
  Nanos wait = ready_.empty() ? max_wait : 0;
  bool polling = false;
  if (!heap_.empty()) {
    const Nanos until = std::max<Nanos>(heap_.front()->deadline_ - before, 0);
    if (spin_window_ > 0 && spin_used_ < spin_budget_) {
      if (until <= spin_window_) {
        polling = until > 0;
        wait = 0;
      } else {
        wait = std::min(wait, until - spin_window_);
      }
    } else {
      wait = std::min(wait, until);
    }
  }
  timespec ts{static_cast<time_t>(wait / kNanosPerSecond),
              static_cast<long>(wait % kNanosPerSecond)};
  const int n = epoll_pwait2(epfd_, events, kMaxEvents, &ts, nullptr);
  now_ = monotonic_now();
  if (polling && n <= 0) spin_used_ += now_ - before;
  for (int i = 0; i < n; ++i) {
    auto* h = static_cast<IoHandler*>(events[i].data.ptr);
    if (h == &wake_marker) {
      uint64_t v;
      [[maybe_unused]] auto r = ::read(wakefd_, &v, sizeof v);
      continue;
    }
    h->on_io(events[i].events);
  }
  fire_due_timers();
  run_posted();
}

void EventLoop::fire_due_timers() {
  while (!heap_.empty() && heap_.front()->deadline_ <= now_) {
    Timer* t = heap_.front();
    heap_remove(t);
    t->fn_(t->ctx_);
  }
}

void EventLoop::run_posted() {
  // Coroutines posted while running go to the next iteration, so a VU that
  // keeps yielding cannot starve IO.
  running_.swap(ready_);
  for (auto h : running_) h.resume();
  running_.clear();
}

void EventLoop::heap_push(Timer* t) {
  t->index_ = heap_.size();
  heap_.push_back(t);
  sift_up(t->index_);
}

void EventLoop::heap_remove(Timer* t) {
  const size_t i = t->index_;
  Timer* last = heap_.back();
  heap_.pop_back();
  t->index_ = Timer::kNotArmed;
  if (last == t) return;
  heap_[i] = last;
  last->index_ = i;
  sift_up(i);
  sift_down(last->index_);
}

void EventLoop::sift_up(size_t i) {
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (heap_[parent]->deadline_ <= heap_[i]->deadline_) break;
    std::swap(heap_[parent], heap_[i]);
    heap_[parent]->index_ = parent;
    heap_[i]->index_ = i;
    i = parent;
  }
}

void EventLoop::sift_down(size_t i) {
  const size_t n = heap_.size();
  for (;;) {
    size_t smallest = i;
    const size_t l = 2 * i + 1;
    const size_t r = l + 1;
    if (l < n && heap_[l]->deadline_ < heap_[smallest]->deadline_) smallest = l;
    if (r < n && heap_[r]->deadline_ < heap_[smallest]->deadline_) smallest = r;
    if (smallest == i) return;
    std::swap(heap_[smallest], heap_[i]);
    heap_[smallest]->index_ = smallest;
    heap_[i]->index_ = i;
    i = smallest;
  }
}

}  // namespace barrage::engine
