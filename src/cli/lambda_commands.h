// The worker side of AWS Lambda runs on the command line: the hidden
// `lambda-worker` (the custom runtime's loop, started by the package's
// bootstrap) and `lambda package` (writes the deployment zip).
#pragma once

#include <string>

#include "lambda/package.h"

namespace CLI {
class App;
}

namespace barrage::cli {

class LambdaCommands {
 public:
  // Adds the subcommands to `app` (before it parses).
  explicit LambdaCommands(CLI::App& app);
  // The exit code of the chosen subcommand; -1 when none of these was chosen.
  int run() const;

 private:
  CLI::App* worker_ = nullptr;
  CLI::App* lambda_ = nullptr;
  CLI::App* package_ = nullptr;
  lambda::PackageOptions package_options_;
};

// The custom-runtime loop: next invocation -> run its WorkerJob -> response
// or error, until the Runtime API fails (then Lambda restarts the runtime).
int lambda_worker_command();

}  // namespace barrage::cli
