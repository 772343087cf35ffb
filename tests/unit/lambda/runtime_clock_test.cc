// The Runtime API client checks the invocation's deadline header against its
// clock: on a simulated clock, a deadline relative to simulated time.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "aws/http.h"
#include "lambda/runtime.h"
#include "util/simulated_clock.h"

namespace barrage::lambda {
namespace {

class NextTransport final : public aws::Transport {
 public:
  explicit NextTransport(std::string deadline) : deadline_(std::move(deadline)) {}
  aws::HttpResponse send(const aws::HttpRequest& /*request*/) override {
    aws::HttpResponse r;
    r.status = 200;
    r.headers = {{"Lambda-Runtime-Aws-Request-Id", "req-1"},
                 {"Lambda-Runtime-Deadline-Ms", deadline_}};
    r.body = "{}";
    return r;
  }

 private:
  std::string deadline_;
};

TEST(RuntimeClient, TheDeadlineHeaderIsCheckedAgainstTheInjectedClock) {
  SimulatedClock clock;
  const int64_t deadline = clock.wall_ms() + 60'000;
  RuntimeClient client("127.0.0.1:9", std::make_shared<NextTransport>(std::to_string(deadline)),
                       clock);
  auto inv = client.next();
  ASSERT_TRUE(inv.deadline_wall_ms.has_value()) << inv.deadline_problem;
  EXPECT_EQ(*inv.deadline_wall_ms, deadline);

  // The same header an hour of simulated time later is in the past.
  clock.advance(3600LL * 1'000'000'000);
  inv = client.next();
  EXPECT_FALSE(inv.deadline_wall_ms.has_value());
  EXPECT_EQ(inv.deadline_problem, "Lambda-Runtime-Deadline-Ms " + std::to_string(deadline) +
                                      " is 3540000 ms in the past");
}

}  // namespace
}  // namespace barrage::lambda
