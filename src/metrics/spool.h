// SnapshotSpool: keeps finished snapshots out of memory until the end of a
// run. A long run's per-period and per-second snapshots are only read back
// for the final reports, so they go to an unlinked temporary file (in
// $TMPDIR, else /tmp) and resident memory stays flat however long the run
// is. The encoding is binary and exact (counters, and histograms through
// Histogram::serialize()). When no temporary file can be made, the spool
// keeps the snapshots in memory instead (correct, just not flat).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "metrics/snapshot.h"

namespace barrage::metrics {

class SnapshotSpool {
 public:
  SnapshotSpool();
  ~SnapshotSpool();
  SnapshotSpool(const SnapshotSpool&) = delete;
  SnapshotSpool& operator=(const SnapshotSpool&) = delete;

  void push(const Snapshot& snapshot);
  size_t size() const { return count_; }
  // Every snapshot pushed, in order; the spool is empty afterwards.
  std::vector<Snapshot> take_all();
  // Bytes on disk (0 when in memory).
  uint64_t file_bytes() const { return file_bytes_; }

 private:
  std::FILE* file_ = nullptr;
  bool writable_ = true;          // false after a failed write (a full disk)
  std::vector<Snapshot> memory_;  // the fallback
  size_t count_ = 0;
  uint64_t file_bytes_ = 0;
};

// The spool's record encoding, exposed for tests: encode then decode gives
// the same snapshot; decode returns false on a malformed record.
std::string encode_snapshot(const Snapshot& snapshot);
bool decode_snapshot(const std::string& bytes, Snapshot* out);

}  // namespace barrage::metrics
