// The decisions of RFC 8305 ("Happy Eyeballs v2") connection racing, with no
// sockets and no clock: the caller says what happened and when, and asks
// what to start next. The IO side is engine/connect_race.h; keeping the
// decisions here lets tests drive them on simulated time, never sleeping.
//
// Order (RFC 8305 section 4): the host's addresses in the resolver's order,
// rotated to start at the preferred one (the address that last won for this
// host), then interleaved by family, First Address Family Count 1: the first
// address's family, then the other, alternating while both last.
//
// Timing (section 5): the first attempt starts at once; the next starts when
// the last one started has not connected after the Connection Attempt Delay
// (250 ms, as Node's autoSelectFamilyAttemptTimeout), or at once when an
// attempt fails (ECONNREFUSED, ...). Attempts already started keep going;
// the first to connect wins. The race is lost when every address was tried
// and every attempt failed. (Node's autoSelectFamily differs in one way: it
// abandons an attempt when it starts the next; here an address that is just
// slow can still win.)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace barrage::engine {

class HappyEyeballs {
 public:
  using Nanos = int64_t;
  static constexpr Nanos kDefaultAttemptDelay = 250'000'000;
  static constexpr Nanos kNever = INT64_MAX;

  // families[i]: address i's family (AF_INET, AF_INET6, ...), in the
  // resolver's order; `preferred` is where to start (0 when none won yet).
  HappyEyeballs(std::span<const int> families, uint32_t preferred,
                Nanos attempt_delay = kDefaultAttemptDelay);

  // The attempt order, as indexes into `families`.
  [[nodiscard]] const std::vector<uint32_t>& order() const noexcept { return order_; }

  // The address to start connecting to now, if one is due at `now` (it
  // counts as started at `now`); call again until it returns nothing.
  std::optional<uint32_t> next(Nanos now);
  // When next() will have an address to start, unless an attempt ends first
  // (kNever when none is left to start or none is in flight; a time already
  // past after a failure).
  [[nodiscard]] Nanos wake_at() const noexcept;
  // An attempt that was started failed: the next address is due at once.
  void failed(uint32_t index);
  // Attempts started and neither failed nor won.
  [[nodiscard]] uint32_t in_flight() const noexcept { return in_flight_; }
  // Every address was tried and failed: the race is lost.
  [[nodiscard]] bool lost() const noexcept { return in_flight_ == 0 && started_ == order_.size(); }

 private:
  std::vector<uint32_t> order_;
  Nanos attempt_delay_;
  size_t started_ = 0;      // order_[0, started_) have been started
  uint32_t in_flight_ = 0;  // of those, not failed
  Nanos last_start_ = 0;
  bool failed_since_start_ = false;  // an attempt failed since the last start
};

}  // namespace barrage::engine
