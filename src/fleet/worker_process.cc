#include "fleet/worker_process.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "fleet/job.h"
#include "fleet/protocol.h"
#include "fleet/worker.h"
#include "util/exit_codes.h"

namespace barrage::fleet {

int run_worker_process(std::istream& in, std::FILE* out, std::atomic<bool>& stop) {
  std::string line;
  if (!std::getline(in, line)) {
    std::fprintf(stderr, "barrage worker: expected a job on stdin\n");
    return kExitUsage;
  }
  auto job = job_from_json(line);
  if (!job) {
    std::fprintf(stderr, "barrage worker: %s\n", job.error().describe().c_str());
    return kExitUsage;
  }
  std::mutex out_mutex;
  auto output = [&](const std::string& envelope) {
    std::lock_guard lock(out_mutex);
    std::fwrite(envelope.data(), 1, envelope.size(), out);
    std::fputc('\n', out);
    std::fflush(out);
  };
  std::unique_ptr<Worker> worker;
  try {
    worker = std::make_unique<Worker>(*job, output);
  } catch (const std::exception& e) {
    // Report through the protocol too, so the coordinator can say why.
    Message m;
    m.kind = Kind::kError;
    m.run_id = job->run_id;
    m.worker = job->worker;
    m.seq = 1;
    m.reason = e.what();
    for (const auto& env : encode(m)) output(env);
    std::fprintf(stderr, "barrage worker %u: %s\n", job->worker, e.what());
    return kExitUsage;
  }
  worker->send_ready();
  // Control lines: the start barrier, then a stop. EOF (the coordinator is
  // gone) stops too.
  std::getline(in, line);
  int64_t start_ms = 0;
  if (line.rfind("start ", 0) == 0) {
    start_ms = std::strtoll(line.c_str() + 6, nullptr, 10);
  } else {
    return kExitInterrupted;  // stopped (or the coordinator died) before the start
  }
  std::thread control([&in, &stop] {
    std::string l;
    while (std::getline(in, l)) {
      if (l == "stop") break;
    }
    stop.store(true);
  });
  control.detach();  // blocked in read(); the process ends without joining it
  const bool ok = worker->run(start_ms, &stop);
  return ok ? kExitOk : kExitUsage;
}

}  // namespace barrage::fleet
