#include "report/live_console.h"

#include <fmt/format.h>
#include <unistd.h>

#include "report/analysis.h"

namespace barrage::report {

LiveConsole::LiveConsole(const script::Plan& plan, bool quiet, std::FILE* out)
    : out_(out), quiet_(quiet), tty_(isatty(fileno(out)) == 1) {
  options_.extended_metrics = plan.http.extended_metrics;
  for (size_t i = 0; i < plan.phases.size(); ++i) {
    const auto& p = plan.phases[i];
    phase_names_.push_back(p.name.empty() ? fmt::format("#{}", i + 1) : p.name);
  }
  phases_ = &plan.phases;
}

void LiveConsole::period(const metrics::Snapshot& s) {
  if (quiet_) return;
  clear_status();
  std::fputs(format_period(s, options_).c_str(), out_);
  std::fflush(out_);
}

void LiveConsole::progress(const engine::Progress& p) {
  if (quiet_) return;
  while (announced_phase_ < p.phase) {
    ++announced_phase_;
    clear_status();
    const auto& ph = (*phases_)[static_cast<size_t>(announced_phase_)];
    std::fprintf(out_, "Phase started: %s (index: %d, duration: %gs)\n",
                 phase_names_[static_cast<size_t>(announced_phase_)].c_str(), announced_phase_,
                 ph.duration_s);
  }
  const double dt = p.elapsed_s - last_elapsed_;
  if (dt >= 1.0) {
    rate_ = static_cast<double>(p.requests - last_requests_) / dt;
    last_requests_ = p.requests;
    last_elapsed_ = p.elapsed_s;
  }
  if (tty_) {
    std::fprintf(out_, "\r\033[K%s", format_progress(p, phase_names_, rate_).c_str());
    status_shown_ = true;
    std::fflush(out_);
  }
}

void LiveConsole::event(const std::string& line) {
  if (quiet_ && line.rfind("Workers:", 0) == 0) return;
  clear_status();
  std::fputs(line.c_str(), out_);
  if (line.empty() || line.back() != '\n') std::fputc('\n', out_);
  std::fflush(out_);
}

void LiveConsole::summary(const Report& r) {
  clear_status();
  std::fprintf(out_, "\n%s", format_summary(r, options_).c_str());
  std::fflush(out_);
}

void LiveConsole::analysis(const Analysis& a) {
  std::fprintf(out_, "\n%s", format_analysis(a).c_str());
  std::fflush(out_);
}

void LiveConsole::clear_status() {
  if (status_shown_) std::fputs("\r\033[K", out_);
  status_shown_ = false;
}

}  // namespace barrage::report
