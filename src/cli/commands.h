// The subcommands behind the thin `barrage` executable.
// Exit codes: 0 success; 1 failed ensure checks (thresholds); 2 usage or
// script error; 21 expectation checks failed (Artillery's expect plugin
// code); 130 interrupted (Ctrl-C).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

namespace barrage::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitThresholds = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitExpectations = 21;
inline constexpr int kExitInterrupted = 130;

// Set by SIGINT/SIGTERM; the only global mutable state.
extern std::atomic<bool> g_stop;

// What `run` and `validate` pass to the script loader (as strings; the
// loader does the merging).
struct LoadArgs {
  std::optional<std::string> environment;
  std::optional<std::string> config;
  std::optional<std::string> overrides;
  std::optional<std::string> variables;
  std::optional<std::string> dotenv;
  std::optional<std::string> scenario_name;
};

struct RunArgs {
  std::string script;
  std::optional<std::string> target;
  LoadArgs load;
  std::optional<std::string> output;
  bool quiet = false;
  bool insecure = false;
  int cores = 0;
  uint64_t seed = 0;
};
int run_command(const RunArgs& args);

struct ValidateArgs {
  std::string script;
  std::optional<std::string> target;
  LoadArgs load;
};
// Loads the script as `run` would; prints "ok: N phases, M scenarios" (exit 0)
// or the error (exit 2).
int validate_command(const ValidateArgs& args);

struct QuickArgs {
  std::string url;
  int64_t count = 10;          // virtual users
  int64_t num = 10;            // requests per VU
  std::optional<double> rate;  // arrivals per second (open model)
  std::optional<std::string> duration;
  std::optional<std::string> output;
  bool insecure = false;
  bool quiet = false;
  int cores = 0;
};
int quick_command(const QuickArgs& args);

struct TargetArgs {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 1;
  double latency_ms = 0;
  double jitter_ms = 0;
  double cold_start_ms = 0;
  int64_t instance_idle_ms = 60'000;
  int64_t concurrency_limit = 0;
  double error_rate = 0;
  std::optional<std::string> duration;
  std::optional<std::string> port_file;
};
int target_command(const TargetArgs& args);

}  // namespace barrage::cli
