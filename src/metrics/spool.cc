#include "metrics/spool.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

namespace barrage::metrics {

namespace {

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_bytes(std::string& out, std::string_view s) {
  put_u64(out, s.size());
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool u64(uint64_t* v) {
    if (in_.size() < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i)
      *v |= static_cast<uint64_t>(static_cast<unsigned char>(in_[static_cast<size_t>(i)]))
            << (8 * i);
    in_.remove_prefix(8);
    return true;
  }
  bool bytes(std::string_view* s) {
    uint64_t n = 0;
    if (!u64(&n) || n > in_.size()) return false;
    *s = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

std::FILE* open_unlinked_temp() {
  const char* dir = std::getenv("TMPDIR");
  std::string path = (dir != nullptr && *dir != '\0') ? dir : "/tmp";
  path += "/barrage-spool-XXXXXX";
  const int fd = mkstemp(path.data());
  if (fd < 0) return nullptr;
  unlink(path.c_str());
  std::FILE* f = fdopen(fd, "w+b");
  if (f == nullptr) close(fd);
  return f;
}

}  // namespace

std::string encode_snapshot(const Snapshot& snapshot) {
  std::string out;
  put_u64(out, static_cast<uint64_t>(snapshot.period_start_ms));
  put_u64(out, static_cast<uint64_t>(snapshot.period_end_ms));
  put_u64(out, snapshot.counters.size());
  for (const auto& [name, value] : snapshot.counters) {
    put_bytes(out, name);
    put_u64(out, value);
  }
  put_u64(out, snapshot.histograms.size());
  for (const auto& [name, h] : snapshot.histograms) {
    put_bytes(out, name);
    put_bytes(out, h.serialize());
  }
  return out;
}

bool decode_snapshot(const std::string& bytes, Snapshot* out) {
  Reader r(bytes);
  Snapshot s;
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t n = 0;
  if (!r.u64(&start) || !r.u64(&end) || !r.u64(&n)) return false;
  s.period_start_ms = static_cast<int64_t>(start);
  s.period_end_ms = static_cast<int64_t>(end);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view name;
    uint64_t value = 0;
    if (!r.bytes(&name) || !r.u64(&value)) return false;
    s.counters.emplace(std::string(name), value);
  }
  if (!r.u64(&n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view name;
    std::string_view data;
    if (!r.bytes(&name) || !r.bytes(&data)) return false;
    auto h = Histogram::deserialize(data);
    if (!h) return false;
    s.histograms.emplace(std::string(name), std::move(*h));
  }
  if (!r.done()) return false;
  *out = std::move(s);
  return true;
}

SnapshotSpool::SnapshotSpool() : file_(open_unlinked_temp()) {}

SnapshotSpool::~SnapshotSpool() {
  if (file_ != nullptr) std::fclose(file_);
}

void SnapshotSpool::push(const Snapshot& snapshot) {
  ++count_;
  if (file_ != nullptr && writable_) {
    std::string record;
    const std::string body = encode_snapshot(snapshot);
    put_bytes(record, body);
    if (std::fwrite(record.data(), 1, record.size(), file_) == record.size()) {
      file_bytes_ += record.size();
      return;
    }
    // A full disk: what is written stays readable; this and later ones stay
    // in memory, so the order is kept.
    writable_ = false;
  }
  memory_.push_back(snapshot);
}

std::vector<Snapshot> SnapshotSpool::take_all() {
  std::vector<Snapshot> out;
  out.reserve(count_);
  if (file_ != nullptr && file_bytes_ > 0) {
    std::fflush(file_);
    std::rewind(file_);
    std::string buf(file_bytes_, '\0');
    const size_t got = std::fread(buf.data(), 1, buf.size(), file_);
    Reader r(std::string_view(buf.data(), got));
    std::string_view rec;
    while (!r.done() && r.bytes(&rec)) {
      Snapshot s;
      if (decode_snapshot(std::string(rec), &s)) out.push_back(std::move(s));
    }
    std::rewind(file_);
    file_bytes_ = 0;
    if (ftruncate(fileno(file_), 0) != 0) {
      // The file keeps its old bytes; they are never read again (file_bytes_ is 0).
    }
  }
  for (auto& s : memory_) out.push_back(std::move(s));
  memory_.clear();
  count_ = 0;
  return out;
}

}  // namespace barrage::metrics
