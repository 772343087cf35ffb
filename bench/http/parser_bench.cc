// HTTP/1 parser cost per message (Google Benchmark): the load client's
// ResponseParser on typical nginx responses (it runs once per request on the
// hot path) and the demo target's RequestParser on a typical GET.
// Run: cmake --build build/release --target parser_bench &&
//      build/release/bench/parser_bench --benchmark_repetitions=10
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "http/request_parser.h"
#include "http/response_parser.h"

namespace {

using barrage::http::ResponseParser;

// What nginx 1.22 sends for `return 200 "ok\n"` (bench/lib.sh).
const std::string kSmall =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.22.1\r\n"
    "Date: Mon, 07 Dec 2026 13:58:17 GMT\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Length: 3\r\n"
    "Connection: keep-alive\r\n"
    "\r\n"
    "ok\n";

// A static file: more headers, a 615-byte body.
std::string static_file() {
  std::string r =
      "HTTP/1.1 200 OK\r\n"
      "Server: nginx/1.22.1\r\n"
      "Date: Mon, 07 Dec 2026 13:58:17 GMT\r\n"
      "Content-Type: text/html\r\n"
      "Content-Length: 615\r\n"
      "Last-Modified: Tue, 13 Jun 2023 15:08:10 GMT\r\n"
      "Connection: keep-alive\r\n"
      "ETag: \"6488865a-267\"\r\n"
      "Accept-Ranges: bytes\r\n"
      "\r\n";
  r.append(615, 'x');
  return r;
}

// A proxied JSON response in chunked transfer coding (two chunks, 548 bytes).
std::string chunked() {
  std::string r =
      "HTTP/1.1 200 OK\r\n"
      "Server: nginx/1.22.1\r\n"
      "Date: Mon, 07 Dec 2026 13:58:17 GMT\r\n"
      "Content-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n"
      "Connection: keep-alive\r\n"
      "Vary: Accept-Encoding\r\n"
      "\r\n"
      "1a4\r\n";
  r.append(0x1a4, 'j');
  r += "\r\n80\r\n";
  r.append(0x80, 'k');
  r += "\r\n0\r\n\r\n";
  return r;
}

// Feeds `wire` in reads of at most `read` bytes, as a socket might deliver it.
void parse_responses(benchmark::State& state, const std::string& wire, size_t read) {
  ResponseParser p;
  for (auto _ : state) {
    p.reset();
    size_t off = 0;
    ResponseParser::FeedResult r{};
    while (off < wire.size()) {
      r = p.feed(wire.data() + off, std::min(read, wire.size() - off));
      off += r.consumed;
      if (r.state != ResponseParser::State::kNeedMore) break;
    }
    if (r.state != ResponseParser::State::kComplete) std::abort();
    benchmark::DoNotOptimize(p.body().data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}

void BM_ResponseNginxSmall(benchmark::State& state) { parse_responses(state, kSmall, 1 << 20); }
void BM_ResponseNginxStaticFile(benchmark::State& state) {
  parse_responses(state, static_file(), 1 << 20);
}
void BM_ResponseChunked(benchmark::State& state) { parse_responses(state, chunked(), 1 << 20); }
// The same chunked response arriving in 100-byte reads.
void BM_ResponseChunkedSmallReads(benchmark::State& state) {
  parse_responses(state, chunked(), 100);
}

void BM_RequestGet(benchmark::State& state) {
  using barrage::http::RequestParser;
  const std::string wire =
      "GET /catalog/items?limit=5 HTTP/1.1\r\n"
      "Host: 127.0.0.1:8080\r\n"
      "User-Agent: barrage/0.1\r\n"
      "Accept: */*\r\n"
      "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl\r\n"
      "\r\n";
  RequestParser p;
  for (auto _ : state) {
    p.reset();
    if (p.parse(wire) != RequestParser::State::kComplete) std::abort();
    benchmark::DoNotOptimize(p.request().path.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}

BENCHMARK(BM_ResponseNginxSmall);
BENCHMARK(BM_ResponseNginxStaticFile);
BENCHMARK(BM_ResponseChunked);
BENCHMARK(BM_ResponseChunkedSmallReads);
BENCHMARK(BM_RequestGet);

}  // namespace

BENCHMARK_MAIN();
