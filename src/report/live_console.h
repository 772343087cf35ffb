// The console while a test runs (Artillery's layout): each period's block,
// "Phase started" lines, a progress line redrawn in place on a terminal, and
// the lines a person must see between blocks (worker events, health); then
// the summary and the analyses. Rendered from report/console.h's formatters.
// Front ends call it from the run's callbacks (never two at once).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/runner.h"
#include "metrics/snapshot.h"
#include "report/console.h"
#include "report/model.h"
#include "script/plan.h"

namespace barrage::report {

class LiveConsole {
 public:
  // `quiet`: only the summary (and what follows it). The progress line is
  // drawn only when `out` is a terminal.
  LiveConsole(const script::Plan& plan, bool quiet, std::FILE* out = stdout);

  void period(const metrics::Snapshot& s);
  void progress(const engine::Progress& p);
  // A line a person must see between period blocks (worker events, health).
  void event(const std::string& line);
  void summary(const Report& r);
  void analysis(const Analysis& a);

 private:
  void clear_status();

  std::FILE* out_;
  bool quiet_;
  bool tty_;
  bool status_shown_ = false;
  ConsoleOptions options_;
  std::vector<std::string> phase_names_;
  const std::vector<script::Phase>* phases_ = nullptr;
  int announced_phase_ = -1;
  double rate_ = 0;
  double last_elapsed_ = 0;
  uint64_t last_requests_ = 0;
};

}  // namespace barrage::report
