// The worker protocol round-trips every kind, splits what exceeds the wire
// limit and reassembles it in any order, and refuses malformed input.
#include "fleet/protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace barrage::fleet {
namespace {

metrics::Snapshot sample_snapshot(int endpoints, uint64_t seed) {
  std::mt19937_64 rng(seed);
  metrics::Snapshot s;
  s.period_start_ms = 1'700'000'000'000;
  s.period_end_ms = s.period_start_ms + 10'000;
  for (int e = 0; e < endpoints; ++e) {
    const std::string name = "/api/items/" + std::to_string(e);
    s.add("plugins.metrics-by-endpoint." + name + ".codes.200", rng() % 1000);
    auto& h = s.histogram("plugins.metrics-by-endpoint.response_time." + name);
    for (int i = 0; i < 200; ++i) h.record(1000 + rng() % 500'000);
  }
  s.add("http.requests", 12345);
  return s;
}

Message batch(uint32_t worker, uint64_t seq, const metrics::Snapshot& s) {
  Message m;
  m.kind = Kind::kBatch;
  m.run_id = "r-test";
  m.worker = worker;
  m.seq = seq;
  m.period_start_ms = s.period_start_ms;
  m.snapshot = s;
  return m;
}

// The message an envelope completes (nullopt while parts are missing); an
// Error fails the test.
std::optional<Message> add_ok(Decoder& d, std::string_view envelope) {
  auto r = d.add(envelope);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : std::nullopt;
}

TEST(Protocol, EveryKindRoundTrips) {
  Decoder d;
  Message ready;
  ready.kind = Kind::kReady;
  ready.run_id = "r";
  ready.worker = 3;
  ready.seq = 1;
  ready.pid = 4242;
  ready.cores = 2;
  auto got = add_ok(d, encode(ready).at(0));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Kind::kReady);
  EXPECT_EQ(got->worker, 3U);
  EXPECT_EQ(got->pid, 4242);
  EXPECT_EQ(got->cores, 2);

  Message hb;
  hb.kind = Kind::kHeartbeat;
  hb.run_id = "r";
  hb.seq = 2;
  hb.heartbeat.cpu = 0.5;
  hb.heartbeat.lag_p99_ms = 1.25;
  hb.heartbeat.requests = 99;
  hb.heartbeat.fds = 17;
  got = add_ok(d, encode(hb).at(0));
  ASSERT_TRUE(got);
  EXPECT_DOUBLE_EQ(got->heartbeat.cpu, 0.5);
  EXPECT_DOUBLE_EQ(got->heartbeat.lag_p99_ms, 1.25);
  EXPECT_EQ(got->heartbeat.requests, 99U);
  EXPECT_EQ(got->heartbeat.fds, 17);

  const auto snap = sample_snapshot(3, 1);
  got = add_ok(d, encode(batch(1, 3, snap)).at(0));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->snapshot, snap);

  Message e;
  e.kind = Kind::kError;
  e.run_id = "r";
  e.seq = 4;
  e.reason = "script.yml:3:1: bad";
  e.log = {"line one", "line two"};
  got = add_ok(d, encode(e).at(0));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->reason, e.reason);
  EXPECT_EQ(got->log, e.log);

  Message done;
  done.kind = Kind::kDone;
  done.run_id = "r";
  done.seq = 5;
  done.batches = 7;
  done.interrupted = true;
  got = add_ok(d, encode(done).at(0));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->batches, 7U);
  EXPECT_TRUE(got->interrupted);
}

TEST(Protocol, LargeMessagesAreSplitUnderTheLimitAndReassembledInAnyOrder) {
  const auto snap = sample_snapshot(400, 2);
  auto parts = encode(batch(0, 1, snap), 16 * 1024);
  ASSERT_GT(parts.size(), 2U);
  for (const auto& p : parts) EXPECT_LE(p.size(), 16U * 1024);
  std::mt19937 rng(7);
  std::shuffle(parts.begin(), parts.end(), rng);
  parts.push_back(parts.front());  // a duplicated part changes nothing
  Decoder d;
  std::optional<Message> got;
  size_t completed = 0;
  for (const auto& p : parts) {
    auto m = add_ok(d, p);
    if (m) {
      got = std::move(m);
      ++completed;
    }
  }
  ASSERT_TRUE(got);
  EXPECT_EQ(got->snapshot, snap);
  // The duplicate part after completion starts a new partial that never completes.
  EXPECT_EQ(completed, 1U);
}

TEST(Protocol, MalformedInputIsRefusedWithAReason) {
  Decoder d;
  {
    const auto r = d.add(R"({"v":2,"k":"nope","r":"r","w":0,"s":1,"p":0,"n":1,"z":""})");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "unknown message kind 'nope'");
    EXPECT_EQ(r.error().file, "");
    EXPECT_EQ(r.error().describe(), "unknown message kind 'nope'");
  }
  for (const char* bad : {"", "nope", "[]", "{\"v\":2}",
                          R"({"v":2,"k":"batch","r":"r","w":0,"s":1,"p":0,"n":1,"z":"!!"})",
                          R"({"v":2,"k":"nope","r":"r","w":0,"s":1,"p":0,"n":1,"z":""})",
                          R"({"v":2,"k":"batch","r":"r","w":0,"s":1,"p":3,"n":2,"z":""})",
                          R"({"v":2,"k":"batch","r":"r","w":0,"s":1,"p":0,"n":1,"z":"AAAA"})",
                          R"({"v":2,"k":"batch","r":"r","w":0,"s":1,"p":0,"n":1,"z":"AAEA"})",
                          R"({"v":2,"z":"AAAA","k":"batch","r":"r","w":0,"s":1,"p":0,"n":1})"}) {
    const auto r = d.add(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_FALSE(r.error().message.empty()) << bad;
  }
}

// A worker and a coordinator of different barrage versions: the message is refused
// with both protocol versions named, whichever side is newer.
TEST(Protocol, OtherProtocolVersionsAreRefusedNamingBoth) {
  Decoder d;
  // A batch exactly as a protocol-1 worker sent it (JSON snapshot in zlib'd JSON).
  const auto old = d.add(
      R"({"k":"batch","n":1,"p":0,"r":"r-1","s":2,"v":1,"w":0,"z":"eJw9izEOgzAMAL8SeUYoDCx9ixcLXIIESbBNF5S/N6Eq453uLsgsa5rh5QbvfedgI7VKb9qUK2qkrCE1BRfCB1vZOQQ1EsPnQ+A43/jnKZ3RWLTJegaz3AsfJ6vdbiytCqtaWoT2X1cKlC+0dC1Q"})");
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().message,
            "message of protocol version 1, this barrage speaks version 2: run the same barrage "
            "version on the workers and the coordinator");
  const auto newer = d.add(R"({"k":"batch","n":1,"p":0,"r":"r-1","s":2,"v":3,"w":0,"z":"AA"})");
  ASSERT_FALSE(newer);
  EXPECT_NE(newer.error().message.find("protocol version 3, this barrage speaks version 2"),
            std::string::npos)
      << newer.error().message;
  // Even when the rest of the envelope is not what this version expects.
  const auto odd = d.add(R"({"v":7,"body":[1,2,3]})");
  ASSERT_FALSE(odd);
  EXPECT_NE(odd.error().message.find("protocol version 7"), std::string::npos);
}

// A batch's body is the binary snapshot: an error inside it says what is wrong.
TEST(Protocol, BadBinarySnapshotSaysWhy) {
  const auto wire = encode(batch(0, 1, sample_snapshot(3, 1)));
  ASSERT_EQ(wire.size(), 1U);
  // The body's first 6 bytes become: period 0, last, magic "bSW", snapshot version 2.
  std::string bad = wire[0];
  const size_t z = bad.rfind(R"("z":")") + 5;
  bad.replace(z, 8, "AAFiU1cC");
  Decoder d;
  const auto r = d.add(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find("batch: snapshot wire: version 2 is newer than this build"), 0U)
      << r.error().message;
}

}  // namespace
}  // namespace barrage::fleet
