#include "demo_target/serve.h"

#include <chrono>
#include <fstream>
#include <thread>

#include "util/exit_codes.h"
#include "util/fd_limit.h"

namespace barrage::demo_target {

int serve(const TargetOptions& target, const ServeOptions& options, const std::atomic<bool>& stop,
          std::FILE* out) {
  raise_fd_limit();
  TargetServer server(target);
  if (const auto started = server.start(); !started) {
    std::fprintf(stderr, "barrage target: %s\n", started.error().describe().c_str());
    return kExitUsage;
  }
  const bool v6 = target.host.find(':') != std::string::npos && target.host.front() != '[';
  const std::string host = target.host.empty() ? "localhost"
                           : v6                ? "[" + target.host + "]"
                                               : target.host;
  // The URL ends the line, as scripts that read the port from it expect.
  std::fprintf(out, "barrage target (%s) listening on http://%s:%u\n", server.addresses().c_str(),
               host.c_str(), server.port());
  std::fflush(out);
  if (options.port_file) {
    std::ofstream(*options.port_file) << server.port() << "\n";
  }
  const auto started = std::chrono::steady_clock::now();
  while (!stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (options.duration_s &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >=
            *options.duration_s) {
      break;
    }
  }
  server.stop();
  const auto st = server.stats();
  std::fprintf(out, "barrage target stopped: %llu requests, %llu cold starts, %llu throttled\n",
               static_cast<unsigned long long>(st.requests),
               static_cast<unsigned long long>(st.cold_starts),
               static_cast<unsigned long long>(st.throttled));
  return kExitOk;
}

}  // namespace barrage::demo_target
