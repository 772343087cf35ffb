// Cost of one regexp or xpath capture on a response body: barrage's Regex
// (PCRE2, JIT) against glibc's POSIX regexec (what captures used before), and
// XPath (pugixml: parse the body, then evaluate).
//   build/release/bench/capture_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <regex.h>

#include <string>

#include "script/regex.h"
#include "script/xpath.h"

namespace {

// A JSON body of about `bytes` bytes with the token near its end.
std::string json_body(size_t bytes) {
  std::string s = "{\"items\":[";
  for (int i = 0; s.size() < bytes; ++i) {
    s += "{\"id\":" + std::to_string(i) + ",\"name\":\"item number " + std::to_string(i) +
         "\",\"price\":12.5},";
  }
  s += "{\"id\":-1}],\"token\":\"abc.def-123\"}";
  return s;
}

void BM_RegexPcre2(benchmark::State& state) {
  const std::string body = json_body(static_cast<size_t>(state.range(0)));
  const auto re = barrage::script::Regex::compile(R"re("token":"([^"]+)")re", "");
  if (re.first_match(body, 1) != "abc.def-123") state.SkipWithError("wrong capture");
  for (auto _ : state) benchmark::DoNotOptimize(re.first_match(body, 1));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_RegexPcre2)->Arg(16 << 10)->Arg(1 << 20);

void BM_RegexPcre2Lookaround(benchmark::State& state) {
  const std::string body = json_body(static_cast<size_t>(state.range(0)));
  const auto re = barrage::script::Regex::compile(R"re((?<="token":")[\w.]+(?=-\d+"))re", "");
  if (re.first_match(body, 0) != "abc.def") state.SkipWithError("wrong capture");
  for (auto _ : state) benchmark::DoNotOptimize(re.first_match(body, 0));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_RegexPcre2Lookaround)->Arg(16 << 10)->Arg(1 << 20);

void BM_RegexPosix(benchmark::State& state) {
  const std::string body = json_body(static_cast<size_t>(state.range(0)));
  regex_t re;
  regcomp(&re, R"re("token":"([^"]+)")re", REG_EXTENDED);
  regmatch_t m[2];
  for (auto _ : state) {
    m[0].rm_so = 0;
    m[0].rm_eo = static_cast<regoff_t>(body.size());
    benchmark::DoNotOptimize(regexec(&re, body.data(), 2, m, REG_STARTEND));
  }
  regfree(&re);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_RegexPosix)->Arg(16 << 10)->Arg(1 << 20);

void BM_XPath(benchmark::State& state) {
  std::string body = "<r>";
  for (int i = 0; body.size() < static_cast<size_t>(state.range(0)); ++i) {
    body +=
        "<item id=\"" + std::to_string(i) + "\"><name>item " + std::to_string(i) + "</name></item>";
  }
  body += "<token>abc</token></r>";
  const auto x = barrage::script::XPath::compile("//token");
  if (x.first_string(body) != "abc") state.SkipWithError("wrong capture");
  for (auto _ : state) benchmark::DoNotOptimize(x.first_string(body));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_XPath)->Arg(16 << 10)->Arg(1 << 20);

}  // namespace

BENCHMARK_MAIN();
