#include "metrics/snapshot_wire.h"

#include <fmt/format.h>
#include <zlib.h>

#include <optional>
#include <utility>
#include <vector>

namespace barrage::metrics {
namespace {

constexpr char kMagic[] = {'b', 'S', 'W'};
constexpr size_t kHeaderBytes = sizeof kMagic + 2;  // magic, version, flags
constexpr uint8_t kFlagZlib = 0x01;

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

std::unexpected<Error> wire_error(std::string message) {
  Error e;
  e.message = "snapshot wire: " + std::move(message);
  e.code = "snapshot_wire";
  return std::unexpected<Error>(std::move(e));
}

// Reads the payload; every read is bounds-checked and names what it was reading.
class Reader {
 public:
  Reader(std::string_view in, size_t base) : in_(in), base_(base) {}

  // Minimal-length varint (what put_varint writes), so a decoded message re-encodes
  // to the same bytes.
  bool varint(uint64_t& v) {
    v = 0;
    const size_t left = remaining();
    const size_t n = left < 10 ? left : 10;
    for (size_t i = 0; i < n; ++i) {
      const auto byte = static_cast<uint8_t>(in_[pos_ + i]);
      if (i == 9 && byte > 1) return false;  // beyond 64 bits
      v |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
      if ((byte & 0x80) == 0) {
        if (byte == 0 && i != 0) return false;  // overlong
        pos_ += i + 1;
        return true;
      }
    }
    return false;
  }
  bool bytes(size_t n, std::string_view& out) {
    if (n > remaining()) return false;
    out = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  size_t remaining() const { return in_.size() - pos_; }
  size_t offset() const { return base_ + pos_; }

 private:
  std::string_view in_;
  size_t base_;
  size_t pos_ = 0;
};

std::string deflate_fast(std::string_view in) {
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

// Inflates `in`, which must hold exactly one zlib stream of exactly `size` bytes.
std::optional<std::string> inflate_exact(std::string_view in, size_t size) {
  if (in.size() > UINT32_MAX || size > UINT32_MAX) return std::nullopt;
  std::string out(size, '\0');
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(size);
  int rc = inflate(&zs, Z_FINISH);
  bool ok = rc == Z_STREAM_END && zs.avail_out == 0;
  if (rc != Z_STREAM_END && zs.avail_out == 0) {
    // Output full before the stream's end: acceptable only if nothing more comes out.
    char extra = 0;
    zs.next_out = reinterpret_cast<Bytef*>(&extra);
    zs.avail_out = 1;
    ok = inflate(&zs, Z_FINISH) == Z_STREAM_END && zs.avail_out == 1;
  }
  ok = ok && zs.avail_in == 0;  // nothing after the stream
  inflateEnd(&zs);
  if (!ok) return std::nullopt;
  return out;
}

std::string encode_payload(const Snapshot& s) {
  // The names: counters' and histograms' names, merged in order, each once.
  std::vector<std::string_view> names;
  names.reserve(s.counters.size() + s.histograms.size());
  {
    auto c = s.counters.begin();
    auto h = s.histograms.begin();
    while (c != s.counters.end() || h != s.histograms.end()) {
      if (h == s.histograms.end() || (c != s.counters.end() && c->first < h->first)) {
        names.push_back(c++->first);
      } else if (c == s.counters.end() || h->first < c->first) {
        names.push_back(h++->first);
      } else {
        names.push_back(c->first);
        ++c;
        ++h;
      }
    }
  }
  std::string out;
  out.reserve(64 + names.size() * 16 + s.counters.size() * 4 + s.histograms.size() * 512);
  put_varint(out, zigzag(s.period_start_ms));
  put_varint(out, zigzag(static_cast<int64_t>(static_cast<uint64_t>(s.period_end_ms) -
                                              static_cast<uint64_t>(s.period_start_ms))));
  put_varint(out, names.size());
  std::string_view prev;
  for (const auto name : names) {
    size_t shared = 0;
    while (shared < prev.size() && shared < name.size() && prev[shared] == name[shared]) ++shared;
    put_varint(out, shared);
    put_varint(out, name.size() - shared);
    out.append(name.substr(shared));
    prev = name;
  }
  // Both maps are in the names' order, so one forward scan finds each index.
  put_varint(out, s.counters.size());
  size_t index = 0;
  size_t next = 0;  // the smallest index the next entry may have
  for (const auto& [name, value] : s.counters) {
    while (names[index] != name) ++index;
    put_varint(out, index - next);
    put_varint(out, value);
    next = index + 1;
  }
  put_varint(out, s.histograms.size());
  std::string packed;
  index = 0;
  next = 0;
  for (const auto& [name, h] : s.histograms) {
    while (names[index] != name) ++index;
    put_varint(out, index - next);
    packed.clear();
    h.serialize_packed(packed);
    put_varint(out, packed.size());
    out.append(packed);
    next = index + 1;
  }
  return out;
}

Result<Snapshot> decode_payload(std::string_view payload, size_t base) {
  Reader r(payload, base);
  Snapshot s;
  uint64_t start = 0;
  uint64_t span = 0;
  if (!r.varint(start) || !r.varint(span)) {
    return wire_error(fmt::format("truncated or bad varint in the period at byte {}", r.offset()));
  }
  s.period_start_ms = unzigzag(start);
  s.period_end_ms = static_cast<int64_t>(static_cast<uint64_t>(s.period_start_ms) +
                                         static_cast<uint64_t>(unzigzag(span)));

  uint64_t count = 0;
  if (!r.varint(count)) {
    return wire_error(
        fmt::format("truncated or bad varint in the name count at byte {}", r.offset()));
  }
  // Every name takes at least two bytes, so a count beyond that is a lie.
  if (count > r.remaining() / 2) {
    return wire_error(fmt::format("{} names cannot fit in the {} bytes left (byte {})", count,
                                  r.remaining(), r.offset()));
  }
  std::vector<std::string> names(static_cast<size_t>(count));
  for (size_t i = 0; i < names.size(); ++i) {
    uint64_t shared = 0;
    uint64_t length = 0;
    std::string_view suffix;
    const size_t at = r.offset();
    if (!r.varint(shared) || !r.varint(length) || !r.bytes(length, suffix)) {
      return wire_error(fmt::format("name {} truncated or malformed at byte {}", i, at));
    }
    const std::string* prev = i == 0 ? nullptr : &names[i - 1];
    if (shared > (prev != nullptr ? prev->size() : 0)) {
      return wire_error(fmt::format("name {} shares {} bytes with a previous name of {} (byte {})",
                                    i, shared, prev != nullptr ? prev->size() : 0, at));
    }
    std::string& name = names[i];
    name.reserve(shared + suffix.size());
    if (prev != nullptr) name.assign(*prev, 0, shared);
    name.append(suffix);
    if (prev != nullptr && !(*prev < name)) {
      return wire_error(fmt::format("name {} is not after the one before it (byte {})", i, at));
    }
  }

  if (!r.varint(count)) {
    return wire_error(
        fmt::format("truncated or bad varint in the counter count at byte {}", r.offset()));
  }
  if (count > names.size()) {
    return wire_error(
        fmt::format("{} counters for {} names (byte {})", count, names.size(), r.offset()));
  }
  // Counters are read first and inserted last, so that each name is moved into its
  // map (copied only for a name that is both a counter and a histogram).
  std::vector<std::pair<size_t, uint64_t>> values(static_cast<size_t>(count));
  std::vector<bool> is_counter(names.size(), false);
  uint64_t next = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    auto& [index, value] = values[i];
    uint64_t delta = 0;
    const size_t at = r.offset();
    if (!r.varint(delta) || !r.varint(value)) {
      return wire_error(fmt::format("counter {} truncated or malformed at byte {}", i, at));
    }
    if (delta >= names.size() - next) {
      return wire_error(fmt::format("counter {} names index {} of {} names (byte {})", i,
                                    delta >= names.size() ? delta : next + delta, names.size(),
                                    at));
    }
    index = static_cast<size_t>(next + delta);
    is_counter[index] = true;
    next = index + 1;
  }

  if (!r.varint(count)) {
    return wire_error(
        fmt::format("truncated or bad varint in the histogram count at byte {}", r.offset()));
  }
  if (count > names.size()) {
    return wire_error(
        fmt::format("{} histograms for {} names (byte {})", count, names.size(), r.offset()));
  }
  next = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t delta = 0;
    uint64_t length = 0;
    std::string_view bytes;
    const size_t at = r.offset();
    if (!r.varint(delta) || !r.varint(length) || !r.bytes(length, bytes)) {
      return wire_error(fmt::format("histogram {} truncated or malformed at byte {}", i, at));
    }
    if (delta >= names.size() - next) {
      return wire_error(fmt::format("histogram {} names index {} of {} names (byte {})", i,
                                    delta >= names.size() ? delta : next + delta, names.size(),
                                    at));
    }
    const size_t index = static_cast<size_t>(next + delta);
    auto h = Histogram::deserialize_packed(bytes);
    if (!h) {
      return wire_error(fmt::format("histogram '{}' is malformed (byte {})", names[index], at));
    }
    std::string name = is_counter[index] ? std::string(names[index]) : std::move(names[index]);
    s.histograms.emplace_hint(s.histograms.end(), std::move(name), std::move(*h));
    next = index + 1;
  }
  if (r.remaining() != 0) {
    return wire_error(
        fmt::format("{} bytes of trailing data at byte {}", r.remaining(), r.offset()));
  }
  for (auto& [index, value] : values) {
    s.counters.emplace_hint(s.counters.end(), std::move(names[index]), value);
  }
  return s;
}

}  // namespace

std::string encode_snapshot_wire(const Snapshot& snapshot, WireCompression compression) {
  std::string payload = encode_payload(snapshot);
  std::string out(kMagic, sizeof kMagic);
  out.push_back(static_cast<char>(kSnapshotWireVersion));
  if (compression == WireCompression::kZlib) {
    std::string packed = deflate_fast(payload);
    if (!packed.empty()) {
      out.push_back(static_cast<char>(kFlagZlib));
      put_varint(out, payload.size());
      out += packed;
      return out;
    }
  }
  out.push_back(0);
  out += payload;
  return out;
}

Result<Snapshot> decode_snapshot_wire(std::string_view bytes) {
  if (bytes.size() < sizeof kMagic ||
      bytes.substr(0, sizeof kMagic) != std::string_view(kMagic, sizeof kMagic)) {
    return wire_error("not a snapshot (bad magic bytes)");
  }
  if (bytes.size() < kHeaderBytes) return wire_error("truncated header");
  const auto version = static_cast<uint8_t>(bytes[3]);
  if (version != kSnapshotWireVersion) {
    Error e;
    e.message = fmt::format(
        "snapshot wire: version {} {} this build, which reads version {}{}", version,
        version > kSnapshotWireVersion ? "is newer than" : "is not read by", kSnapshotWireVersion,
        version > kSnapshotWireVersion ? " (upgrade the coordinator to the workers' barrage)" : "");
    e.code = "snapshot_wire_version";
    return std::unexpected<Error>(std::move(e));
  }
  const auto flags = static_cast<uint8_t>(bytes[4]);
  if ((flags & ~kFlagZlib) != 0) {
    return wire_error(fmt::format("unknown flags 0x{:02x}", flags));
  }
  std::string_view body = bytes.substr(kHeaderBytes);
  if ((flags & kFlagZlib) == 0) return decode_payload(body, kHeaderBytes);

  Reader r(body, kHeaderBytes);
  uint64_t size = 0;
  if (!r.varint(size)) return wire_error("truncated or bad varint in the payload size");
  if (size > kSnapshotWireMaxBytes) {
    return wire_error(
        fmt::format("payload of {} bytes is over the limit of {}", size, kSnapshotWireMaxBytes));
  }
  // zlib expands at most ~1032:1, so a payload size the stream cannot reach is refused
  // before allocating it.
  if (size / 1032 > r.remaining() + 1) {
    return wire_error(fmt::format("payload of {} bytes cannot come from {} compressed bytes", size,
                                  r.remaining()));
  }
  const size_t payload_at = r.offset();
  std::string_view packed;
  r.bytes(r.remaining(), packed);
  auto payload = inflate_exact(packed, static_cast<size_t>(size));
  if (!payload) {
    return wire_error(fmt::format(
        "the zlib stream at byte {} is corrupt, truncated or not {} bytes", payload_at, size));
  }
  return decode_payload(*payload, 0);
}

}  // namespace barrage::metrics
