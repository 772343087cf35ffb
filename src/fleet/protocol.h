// The worker protocol: what a worker tells the coordinator, on any channel
// (pipes for local worker processes, an SQS queue for Lambda workers).
//
// A message is one line of JSON, the envelope, with "z" always the last field:
//   {"k":KIND,"n":PARTS,"p":PART,"r":RUN_ID,"s":SEQ,"v":2,"w":WORKER,"z":BODY}
// BODY is base64 of: for a batch, a binary body (zigzag varint period start, a
// byte for `last`, the snapshot in metrics/snapshot_wire.h's format); for the
// other kinds, zlib(JSON of the kind's fields). The decoder hands only the
// header before "z" to the JSON parser. A message of another protocol version
// (a worker and a coordinator of different barrage versions) is refused with
// an error naming both versions. Every message of a worker
// has its own seq (1, 2, ...), so (run_id, worker, seq) identifies it: the
// coordinator drops duplicates by that key and accepts any order. A message
// whose envelope would exceed kMaxWireBytes (SQS's classic 256 KiB limit) is
// split into PARTS envelopes with the same key and reassembled.
//
// Kinds: ready (the worker loaded its job and waits for the start), batch (one
// period's snapshot), heartbeat (health every few seconds), done (final
// totals), error (why the worker failed, with its last log lines).
//
// Pure functions over strings; no I/O. Fuzzed (tests/fuzz/fuzz_protocol.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "metrics/snapshot.h"
#include "util/error.h"

namespace barrage::fleet {

// 2: binary batch snapshots (1: JSON snapshots inside zlib'd JSON bodies).
inline constexpr int kProtocolVersion = 2;
inline constexpr size_t kMaxWireBytes = 256 * 1024;

enum class Kind : uint8_t { kReady, kBatch, kHeartbeat, kDone, kError };
const char* kind_name(Kind k);

struct Heartbeat {
  double cpu = 0;         // share of the worker's cores in use since the last one (0..1)
  double lag_p99_ms = 0;  // scheduling lag p99 of the latest period
  int64_t connections = 0;
  int64_t fds = 0;
  uint64_t requests = 0;  // cumulative
  uint64_t responses = 0;
  uint64_t active_vus = 0;
  int phase = -1;
  double elapsed_s = 0;
};

struct Message {
  Kind kind = Kind::kHeartbeat;
  std::string run_id;
  uint32_t worker = 0;
  uint64_t seq = 0;
  // ready
  int64_t pid = 0;
  int cores = 0;
  // batch
  int64_t period_start_ms = 0;
  bool last = false;  // the worker's final (possibly partial) period
  metrics::Snapshot snapshot;
  // heartbeat
  Heartbeat heartbeat;
  // done
  uint64_t batches = 0;  // batch messages the worker (this segment) sent in all
  bool interrupted = false;
  // A segment of a long test ended and the next one carries on (Lambda
  // workers past 15 minutes): the worker is not done yet.
  bool more = false;
  // Lambda workers, for the cost figures: the invocation's duration so far
  // and the SQS and S3 requests it made (0 elsewhere).
  int64_t duration_ms = 0;
  uint64_t sqs_requests = 0;
  uint64_t s3_requests = 0;
  // error
  std::string reason;
  std::vector<std::string> log;
};

// The wire form: one or more envelopes, each at most max_bytes long (no newline).
std::vector<std::string> encode(const Message& m, size_t max_bytes = kMaxWireBytes);

// Reassembles envelopes into messages. Bounded: at most max_pending partial
// messages are held; the oldest is dropped beyond that.
class Decoder {
 public:
  explicit Decoder(size_t max_pending = 1024) : max_pending_(max_pending) {}

  // One envelope in. Returns the message once all its parts arrived, nullopt
  // while parts are missing, and an Error for malformed input.
  Result<std::optional<Message>> add(std::string_view envelope);

 private:
  using Key = std::tuple<std::string, uint32_t, uint64_t>;
  struct Partial {
    std::vector<std::optional<std::string>> parts;
    size_t have = 0;
    uint64_t order = 0;
  };
  size_t max_pending_;
  uint64_t counter_ = 0;
  std::map<Key, Partial> pending_;
};

}  // namespace barrage::fleet
