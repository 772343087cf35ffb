#include "http/decompress.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

#include "util/ascii.h"

namespace barrage::http {
namespace {

constexpr size_t kMinOutput = 4096;

bool is_gzip(std::string_view in, size_t pos) {
  return in.size() >= pos + 2 && static_cast<unsigned char>(in[pos]) == 0x1f &&
         static_cast<unsigned char>(in[pos + 1]) == 0x8b;
}

// RFC 1950: CM = 8 (deflate), CINFO <= 7, header checksum.
bool is_zlib(std::string_view in) {
  if (in.size() < 2) return false;
  const auto cmf = static_cast<unsigned char>(in[0]);
  const auto flg = static_cast<unsigned char>(in[1]);
  return (cmf & 0x0F) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
}

using ascii::iequals;

}  // namespace

std::optional<ContentEncoding> parse_content_encoding(std::string_view value) {
  const std::string_view v = ascii::trim_ows(value);
  if (v.empty() || iequals(v, "identity")) return ContentEncoding::kIdentity;
  if (iequals(v, "gzip") || iequals(v, "x-gzip")) return ContentEncoding::kGzip;
  if (iequals(v, "deflate")) return ContentEncoding::kDeflate;
  return std::nullopt;
}

const char* error_name(DecodeError e) {
  switch (e) {
    case DecodeError::kNone:
      return "OK";
    case DecodeError::kCorrupt:
      return "Z_DATA_ERROR";
    case DecodeError::kTruncated:
      return "Z_BUF_ERROR";
    case DecodeError::kTooLarge:
      return "EBODYTOOLARGE";
  }
  return "EDECOMPRESS";
}

struct Decompressor::State {
  z_stream strm{};
  bool initialized = false;
  ~State() {
    if (initialized) inflateEnd(&strm);
  }
};

Decompressor::Decompressor() = default;
Decompressor::~Decompressor() = default;
Decompressor::Decompressor(Decompressor&&) noexcept = default;
Decompressor& Decompressor::operator=(Decompressor&&) noexcept = default;

bool Decompressor::decode(std::string_view in, std::string& out, size_t max_output) {
  out.clear();
  error_ = DecodeError::kNone;
  if (in.empty()) return true;
  const int window_bits = is_gzip(in, 0) ? 15 + 16 : is_zlib(in) ? 15 : -15;
  if (!state_) state_ = std::make_unique<State>();
  z_stream& strm = state_->strm;
  if (!state_->initialized) {
    if (inflateInit2(&strm, window_bits) != Z_OK) {
      error_ = DecodeError::kCorrupt;
      return false;
    }
    state_->initialized = true;
  } else if (inflateReset2(&strm, window_bits) != Z_OK) {
    error_ = DecodeError::kCorrupt;
    return false;
  }

  size_t in_pos = 0;    // bytes of in handed to zlib so far
  size_t produced = 0;  // bytes of out written by zlib
  strm.avail_in = 0;
  const size_t limit = max_output == SIZE_MAX ? max_output : max_output + 1;
  while (true) {
    if (strm.avail_in == 0 && in_pos < in.size()) {
      const size_t n = std::min<size_t>(in.size() - in_pos, UINT_MAX);
      strm.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_pos));
      strm.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    if (produced == out.size()) {
      const size_t want = out.empty() ? std::max(in.size() * 4, kMinOutput) : out.size() * 2;
      const size_t next = std::min(want, limit);
      if (next <= out.size()) {
        error_ = DecodeError::kTooLarge;
        break;
      }
      out.resize(next);
    }
    const size_t space = std::min<size_t>(out.size() - produced, UINT_MAX);
    strm.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    strm.avail_out = static_cast<uInt>(space);
    const int ret = inflate(&strm, Z_NO_FLUSH);
    produced += space - strm.avail_out;
    if (produced > max_output) {
      error_ = DecodeError::kTooLarge;
      break;
    }
    if (ret == Z_STREAM_END) {
      // Another gzip member may follow; anything else after the end is ignored.
      const size_t next_member = in_pos - strm.avail_in;
      if (window_bits > 15 && is_gzip(in, next_member)) {
        inflateReset(&strm);
        continue;
      }
      break;
    }
    if (ret == Z_OK) continue;
    if (ret == Z_BUF_ERROR) {
      if (strm.avail_out == 0) continue;  // needs more room
      if (strm.avail_in == 0 && in_pos == in.size()) {
        error_ = DecodeError::kTruncated;
        break;
      }
      continue;
    }
    error_ = DecodeError::kCorrupt;  // Z_DATA_ERROR, Z_NEED_DICT, Z_MEM_ERROR, ...
    break;
  }
  out.resize(std::min(produced, max_output));
  return error_ == DecodeError::kNone;
}

}  // namespace barrage::http
