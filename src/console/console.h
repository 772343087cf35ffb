// `barrage console`: the web console, one process: an HTTP server with the
// REST API (docs/console-openapi.yaml) and the embedded web UI, storage in
// SQLite under the data directory, each run a child `barrage run` process
// (console/runs.h). A front end of the run API, as the CLI is: runs go
// through `barrage run` itself, so the console never copies the CLI's logic.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/error.h"

namespace barrage::console {

struct ConsoleOptions {
  std::string listen = "127.0.0.1:8089";  // HOST:PORT; port 0 picks a free one
  bool allow_remote = false;              // needed to bind anything but loopback
  std::string data_dir;                   // "" = default_data_dir()
  std::string barrage_exe;                // the binary the runs execute
  size_t max_body_bytes = 1 << 20;        // request bodies above: 413
  int max_runs = 4;                       // runs at once
};

// $XDG_DATA_HOME/barrage/console, or ~/.local/share/barrage/console.
std::string default_data_dir();

// A route of the API, as the OpenAPI file names it ("/api/v1/tests/{id}").
struct RouteInfo {
  std::string method;  // GET, POST, PUT, DELETE
  std::string path;
  std::string scope;  // read | run | admin
};
// Every API route the server serves (the OpenAPI test compares the two).
std::vector<RouteInfo> api_routes();

class Console {
 public:
  // Opens the data directory (creating it, 0700) and the database, marks the
  // runs the previous console left in flight "interrupted", creates the first
  // admin token if there is none, and binds. Nullptr with *error.
  static Result<std::unique_ptr<Console>> open(const ConsoleOptions& options);
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  [[nodiscard]] int port() const;
  [[nodiscard]] const std::string& host() const;
  // The first admin token, when this start created it (shown once).
  [[nodiscard]] const std::optional<std::string>& first_admin_token() const;
  // How many runs were marked interrupted at this start.
  [[nodiscard]] int interrupted_at_start() const;
  [[nodiscard]] const std::string& data_dir() const;

  // Serves until stop() (from another thread); then stops the runs still
  // going and waits for them.
  void serve();
  void stop();

  struct Impl;  // the server (httplib stays in console.cc)

 private:
  explicit Console(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// What the `console` command does: open, print the address (and the first
// token once, and the warning for a non-loopback address), serve until
// `stop` becomes true. Returns the exit code.
int console_main(const ConsoleOptions& options, const std::atomic<bool>& stop);

}  // namespace barrage::console
