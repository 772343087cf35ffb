// The CLI side of the console: `barrage console tests|runs|start|stop|baseline|compare`
// talk to
// a running console over its REST API (docs/console-openapi.yaml), so CI
// needs no browser. Output on stdout, errors on stderr; exit codes from
// util/exit_codes.h (`start --wait` exits with the run's own code).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace barrage::console {

struct ClientOptions {
  std::string url;    // "" = $BARRAGE_CONSOLE_URL, else http://127.0.0.1:8089
  std::string token;  // "" = $BARRAGE_CONSOLE_TOKEN
};

int client_tests(const ClientOptions& options);
int client_runs(const ClientOptions& options, std::optional<int64_t> test_id);
// Starts a run of the test; prints its id. With `wait`, prints each second as
// it comes (from the live stream) and exits with the run's exit code.
int client_start(const ClientOptions& options, int64_t test_id, bool wait);
int client_stop(const ClientOptions& options, const std::string& run_id);
// Marks the run its test's baseline.
int client_baseline(const ClientOptions& options, const std::string& run_id);
// Compares the run with `base_id` ("" = its test's baseline): the deltas as a
// table; exit 1 when one is past its tolerance (as `barrage compare`).
int client_compare(const ClientOptions& options, const std::string& run_id,
                   const std::string& base_id);

}  // namespace barrage::console
