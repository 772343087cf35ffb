// Tests that need something outside the build (nginx, Chromium, the AWS and
// Lambda emulators) fail when it is missing, with a message naming it and
// the command that installs it. Setting BARRAGE_ALLOW_MISSING_DEPS=1 in the
// environment turns those failures into skips (a machine that cannot install
// them); nothing else does.
//
//   if (nginx.not_installed()) BARRAGE_MISSING_DEP(nginx.error());
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string_view>

namespace barrage::testing {

inline bool allow_missing_deps() {
  const char* v = std::getenv("BARRAGE_ALLOW_MISSING_DEPS");
  return v != nullptr && std::string_view(v) == "1";
}

}  // namespace barrage::testing

// Fails the current test (skips it with BARRAGE_ALLOW_MISSING_DEPS=1) and
// returns from the enclosing void function (a test body or SetUp).
#define BARRAGE_MISSING_DEP(message)                                                            \
  do {                                                                                          \
    if (::barrage::testing::allow_missing_deps()) {                                             \
      GTEST_SKIP() << (message) << " (skipped: BARRAGE_ALLOW_MISSING_DEPS=1)";                  \
    } else {                                                                                    \
      FAIL() << "missing dependency: " << (message)                                             \
             << "\n(to skip the tests that need it instead, set BARRAGE_ALLOW_MISSING_DEPS=1)"; \
    }                                                                                           \
  } while (0)
