#include "fleet/protocol.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "metrics/snapshot_wire.h"
#include "util/base64.h"

namespace barrage::fleet {

namespace {

using nlohmann::json;

constexpr const char* kKindNames[] = {"ready", "batch", "heartbeat", "done", "error"};

std::optional<Kind> kind_from(std::string_view s) {
  for (size_t i = 0; i < std::size(kKindNames); ++i) {
    if (s == kKindNames[i]) return static_cast<Kind>(i);
  }
  return std::nullopt;
}

std::string deflate(const std::string& in) {
  uLongf size = compressBound(static_cast<uLong>(in.size()));
  std::string out(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                reinterpret_cast<const Bytef*>(in.data()), static_cast<uLong>(in.size()),
                Z_BEST_SPEED) != Z_OK) {
    return {};
  }
  out.resize(size);
  return out;
}

// Inflates at most `limit` bytes; nullopt on corrupt input or when larger.
std::optional<std::string> inflate_bounded(std::string_view in, size_t limit) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > limit) {
      rc = Z_DATA_ERROR;
      break;
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      rc = Z_BUF_ERROR;  // truncated stream
      break;
    }
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

// Strict standard base64 (padded; the same inputs as util/base64.h's base64_decode
// accepts), four characters at a time through one table: a batch body is tens of KiB
// and the coordinator decodes 1,000 per period, where the shared bit-at-a-time
// decoder took a third of the time (docs/benchmarks.md, "Snapshot wire format").
constexpr auto kBase64Values = [] {
  std::array<uint8_t, 256> t{};
  t.fill(0xFF);
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < alphabet.size(); ++i)
    t[static_cast<uint8_t>(alphabet[i])] = static_cast<uint8_t>(i);
  return t;
}();

std::optional<std::string> base64_decode_fast(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  const size_t full = text.empty() ? 0 : text.size() / 4 - (pad != 0 ? 1 : 0);
  std::string out(full * 3 + (pad == 0 ? 0 : 3 - pad), '\0');
  const auto* in = reinterpret_cast<const uint8_t*>(text.data());
  auto* o = reinterpret_cast<uint8_t*>(out.data());
  uint32_t bad = 0;
  for (size_t i = 0; i < full; ++i, in += 4, o += 3) {
    const uint32_t a = kBase64Values[in[0]];
    const uint32_t b = kBase64Values[in[1]];
    const uint32_t c = kBase64Values[in[2]];
    const uint32_t d = kBase64Values[in[3]];
    bad |= a | b | c | d;
    const uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    o[0] = static_cast<uint8_t>(v >> 16);
    o[1] = static_cast<uint8_t>(v >> 8);
    o[2] = static_cast<uint8_t>(v);
  }
  if ((bad & 0x80) != 0) return std::nullopt;
  if (pad != 0) {
    const uint32_t a = kBase64Values[in[0]];
    const uint32_t b = kBase64Values[in[1]];
    const uint32_t c = pad == 1 ? kBase64Values[in[2]] : 0;
    if (((a | b | c) & 0x80) != 0) return std::nullopt;
    const uint32_t v = (a << 18) | (b << 12) | (c << 6);
    if ((v & (pad == 1 ? 0xFFU : 0xFFFFU)) != 0) return std::nullopt;  // non-zero trailing bits
    o[0] = static_cast<uint8_t>(v >> 16);
    if (pad == 1) o[1] = static_cast<uint8_t>(v >> 8);
  }
  return out;
}

// A message body larger than this (inflated) is refused: a zip bomb guard.
constexpr size_t kMaxBodyBytes = 64 * 1024 * 1024;

json body_of(const Message& m) {
  switch (m.kind) {
    case Kind::kReady:
      return json{{"pid", m.pid}, {"cores", m.cores}};
    case Kind::kBatch:
      break;  // binary: batch_body()
    case Kind::kHeartbeat: {
      const auto& h = m.heartbeat;
      return json{{"cpu", h.cpu},        {"lag_p99_ms", h.lag_p99_ms}, {"conns", h.connections},
                  {"fds", h.fds},        {"requests", h.requests},     {"responses", h.responses},
                  {"vus", h.active_vus}, {"phase", h.phase},           {"elapsed_s", h.elapsed_s}};
    }
    case Kind::kDone: {
      json j{{"batches", m.batches}, {"interrupted", m.interrupted}};
      if (m.more) j["more"] = true;
      if (m.duration_ms != 0) j["duration_ms"] = m.duration_ms;
      if (m.sqs_requests != 0) j["sqs_requests"] = m.sqs_requests;
      if (m.s3_requests != 0) j["s3_requests"] = m.s3_requests;
      return j;
    }
    case Kind::kError:
      return json{{"reason", m.reason}, {"log", m.log}};
  }
  return json::object();
}

template <typename T>
bool get(const json& j, const char* key, T& out) {
  const auto it = j.find(key);
  if (it == j.end()) return false;
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return false;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return false;
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!it->is_number()) return false;
  } else if constexpr (std::is_unsigned_v<T>) {
    if (!it->is_number_unsigned()) return false;
  } else {
    if (!it->is_number_integer()) return false;
  }
  out = it->get<T>();
  return true;
}

Status fill_body(Message& m, const json& b) {
  if (!b.is_object()) return fail("body is not an object");
  bool ok = true;
  switch (m.kind) {
    case Kind::kReady:
      ok = get(b, "pid", m.pid) && get(b, "cores", m.cores);
      break;
    case Kind::kBatch:
      return fail("batch body is not binary");  // not reached: fill_batch()
    case Kind::kHeartbeat: {
      auto& h = m.heartbeat;
      ok = get(b, "cpu", h.cpu) && get(b, "lag_p99_ms", h.lag_p99_ms) &&
           get(b, "conns", h.connections) && get(b, "fds", h.fds) &&
           get(b, "requests", h.requests) && get(b, "responses", h.responses) &&
           get(b, "vus", h.active_vus) && get(b, "phase", h.phase) &&
           get(b, "elapsed_s", h.elapsed_s);
      break;
    }
    case Kind::kDone:
      ok = get(b, "batches", m.batches) && get(b, "interrupted", m.interrupted);
      // Optional (segments and Lambda usage); absent means false / 0.
      if (ok && b.contains("more")) ok = get(b, "more", m.more);
      if (ok && b.contains("duration_ms")) ok = get(b, "duration_ms", m.duration_ms);
      if (ok && b.contains("sqs_requests")) ok = get(b, "sqs_requests", m.sqs_requests);
      if (ok && b.contains("s3_requests")) ok = get(b, "s3_requests", m.s3_requests);
      break;
    case Kind::kError: {
      ok = get(b, "reason", m.reason);
      const auto it = b.find("log");
      if (ok && it != b.end()) {
        if (!it->is_array()) {
          ok = false;
        } else {
          for (const auto& line : *it) {
            if (!line.is_string()) {
              ok = false;
              break;
            }
            m.log.push_back(line.get<std::string>());
          }
        }
      }
      break;
    }
  }
  if (!ok) return fail(std::string("missing or mistyped field in ") + kind_name(m.kind));
  return {};
}

// The envelope's fields but "z", as JSON (nlohmann orders keys, so this is
// {"k":..,"n":..,"p":..,"r":..,"s":..,"v":..,"w":..}); "z" is appended last.
std::string envelope(const Message& m, size_t part, size_t parts, std::string_view data) {
  const json e{{"v", kProtocolVersion},
               {"k", kind_name(m.kind)},
               {"r", m.run_id},
               {"w", m.worker},
               {"s", m.seq},
               {"p", part},
               {"n", parts}};
  std::string out = e.dump(-1, ' ', false, json::error_handler_t::replace);
  out.pop_back();  // '}'
  out += R"(,"z":")";
  out += data;
  out += "\"}";
  return out;
}

// Batch body: zigzag varint period start, a byte for `last`, then the snapshot in
// the binary wire format (metrics/snapshot_wire.h).
void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

std::string batch_body(const Message& m) {
  std::string out;
  const auto p = m.period_start_ms;
  put_varint(out, (static_cast<uint64_t>(p) << 1) ^ static_cast<uint64_t>(p >> 63));
  out.push_back(m.last ? '\1' : '\0');
  out += metrics::encode_snapshot_wire(m.snapshot);
  return out;
}

Status fill_batch(Message& m, std::string_view body) {
  uint64_t v = 0;
  size_t i = 0;
  for (;; ++i) {
    if (i == body.size() || i == 10) return fail("batch body: bad period varint");
    const auto byte = static_cast<uint8_t>(body[i]);
    if (i == 9 && byte > 1) return fail("batch body: bad period varint");
    v |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) break;
  }
  m.period_start_ms = static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
  body.remove_prefix(i + 1);
  if (body.empty() || static_cast<uint8_t>(body[0]) > 1) return fail("batch body: bad last flag");
  m.last = body[0] == 1;
  body.remove_prefix(1);
  auto snapshot = metrics::decode_snapshot_wire(body);
  if (!snapshot) return fail(snapshot.error().with_context("batch"));
  m.snapshot = std::move(*snapshot);
  return {};
}

}  // namespace

const char* kind_name(Kind k) { return kKindNames[static_cast<size_t>(k)]; }

std::vector<std::string> encode(const Message& m, size_t max_bytes) {
  const std::string data =
      m.kind == Kind::kBatch
          ? base64_encode(batch_body(m), Base64::kStandard)
          : base64_encode(deflate(body_of(m).dump(-1, ' ', false, json::error_handler_t::replace)),
                          Base64::kStandard);
  std::string whole = envelope(m, 0, 1, data);
  if (whole.size() <= max_bytes) return {std::move(whole)};
  // Split the base64 text; the envelope's own size is what the empty one takes
  // (plus digits of the part numbers, bounded by 40 bytes).
  const size_t overhead = envelope(m, 0, 1, "").size() + 40;
  const size_t chunk = max_bytes > overhead + 64 ? max_bytes - overhead : 64;
  const size_t parts = (data.size() + chunk - 1) / chunk;
  std::vector<std::string> out;
  out.reserve(parts);
  for (size_t i = 0; i < parts; ++i) {
    out.push_back(envelope(m, i, parts, std::string_view(data).substr(i * chunk, chunk)));
  }
  return out;
}

Result<std::optional<Message>> Decoder::add(std::string_view text) {
  // "z" is the last field: only the small header before it goes through the JSON
  // parser. Its first `,"z":"` ends the header: inside a JSON string every '"' follows
  // a backslash, so the sequence cannot start within the run id (and a header that
  // is not valid JSON is refused below).
  constexpr std::string_view kData = R"(,"z":")";
  size_t at = text.ends_with("\"}") ? text.find(kData) : std::string_view::npos;
  if (at != std::string_view::npos && at + kData.size() + 2 > text.size()) {
    at = std::string_view::npos;  // the quote before '}' is the one after z:
  }
  json e;
  std::string_view data;  // into `text`, or into `joined` once parts are reassembled
  std::string joined;
  if (at != std::string_view::npos) {
    std::string header(text.substr(0, at));
    header.push_back('}');
    e = json::parse(header, nullptr, false);
    data = text.substr(at + kData.size(), text.size() - at - kData.size() - 2);
  } else {
    e = json::parse(text, nullptr, false);  // not our layout: for the version error only
  }
  if (e.is_discarded() || !e.is_object()) {
    return fail("not a protocol envelope (a JSON object ending with the \"z\" field)");
  }
  int64_t version = 0;
  if (!get(e, "v", version)) return fail("envelope has no protocol version");
  if (version != kProtocolVersion) {
    return fail("message of protocol version " + std::to_string(version) +
                ", this barrage speaks version " + std::to_string(kProtocolVersion) +
                ": run the same barrage version on the workers and the coordinator");
  }
  if (at == std::string_view::npos || e.contains("z")) {
    return fail("envelope's \"z\" field is missing or not last");
  }
  Message m;
  std::string kind;
  uint64_t part = 0;
  uint64_t parts = 0;
  if (!get(e, "k", kind) || !get(e, "r", m.run_id) || !get(e, "w", m.worker) ||
      !get(e, "s", m.seq) || !get(e, "p", part) || !get(e, "n", parts)) {
    return fail("envelope field missing or mistyped");
  }
  const auto k = kind_from(kind);
  if (!k) {
    return fail("unknown message kind '" + kind + "'");
  }
  m.kind = *k;
  // 64 MiB of body in 256 KiB parts is at most 256 parts (base64 inflates).
  if (parts == 0 || parts > 1024 || part >= parts) {
    return fail("bad part numbers");
  }
  if (parts > 1) {
    Key key{m.run_id, m.worker, m.seq};
    auto [it, inserted] = pending_.try_emplace(key);
    Partial& p = it->second;
    if (inserted) {
      p.parts.resize(parts);
      p.order = ++counter_;
      if (pending_.size() > max_pending_) {
        auto oldest = std::min_element(pending_.begin(), pending_.end(), [](auto& a, auto& b) {
          return a.second.order < b.second.order;
        });
        pending_.erase(oldest);
        it = pending_.find(key);
        if (it == pending_.end()) return std::nullopt;
      }
    }
    Partial& q = it->second;
    if (q.parts.size() != parts) {
      return fail("part count changed between parts");
    }
    if (!q.parts[part]) {
      q.parts[part] = std::string(data);
      ++q.have;
    }
    if (q.have < parts) return std::nullopt;
    for (auto& piece : q.parts) joined += *piece;
    data = joined;
    pending_.erase(it);
  }
  const auto raw = base64_decode_fast(data);
  if (!raw) {
    return fail("body is not base64");
  }
  if (m.kind == Kind::kBatch) {
    if (auto filled = fill_batch(m, *raw); !filled) return fail(std::move(filled.error()));
    return m;
  }
  const auto body = inflate_bounded(*raw, kMaxBodyBytes);
  if (!body) {
    return fail("body is not a zlib stream (or too large)");
  }
  const json b = json::parse(*body, nullptr, false);
  if (b.is_discarded()) {
    return fail("body is not JSON");
  }
  if (auto filled = fill_body(m, b); !filled) return fail(std::move(filled.error()));
  return m;
}

}  // namespace barrage::fleet
