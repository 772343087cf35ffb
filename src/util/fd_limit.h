// More virtual users (or demo-target connections) than descriptors is common:
// a process that opens many sockets takes every descriptor it may have.
#pragma once

#include <sys/resource.h>

namespace barrage {

// Raises the soft RLIMIT_NOFILE to the hard limit (best effort).
inline void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace barrage
