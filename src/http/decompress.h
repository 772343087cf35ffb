// Response body decoding for Content-Encoding gzip and deflate (zlib).
//
// The format is sniffed from the bytes rather than trusted from the header:
// gzip magic (1f 8b) means gzip, possibly several members; a valid zlib header
// means zlib-wrapped deflate (what RFC 9110 calls "deflate"); anything else is
// tried as raw deflate, which some servers send as "deflate". Bytes after the
// end of the (last) stream are ignored, as Node's zlib does.
//
// Errors, named like Node's zlib codes where they exist so they read the same as
// in Artillery reports (errors.<name>):
//   Z_DATA_ERROR   corrupt input (bad header, bad checksum, invalid deflate data)
//   Z_BUF_ERROR    input ended before the end of the compressed stream
//   EBODYTOOLARGE  (ours) the output would exceed max_output: bomb protection,
//                  decoding stops once max_output + 1 bytes would be produced
//
// One Decompressor per connection or shard (not thread-safe); the zlib state is
// allocated on first use and reset, not reallocated, for each body.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace barrage::http {

enum class ContentEncoding : unsigned char { kIdentity, kGzip, kDeflate };

// Maps a Content-Encoding value ("gzip", "x-gzip", "deflate", "identity", case
// and surrounding spaces ignored) to an encoding; nullopt for anything else
// (br, zstd, stacked codings), which callers leave undecoded.
std::optional<ContentEncoding> parse_content_encoding(std::string_view value);

enum class DecodeError : unsigned char { kNone, kCorrupt, kTruncated, kTooLarge };

// "OK", "Z_DATA_ERROR", "Z_BUF_ERROR", "EBODYTOOLARGE".
const char* error_name(DecodeError e);

class Decompressor {
 public:
  Decompressor();
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
  Decompressor(Decompressor&&) noexcept;
  Decompressor& operator=(Decompressor&&) noexcept;

  // Replaces out with the decoded form of in (gzip, zlib or raw deflate, see
  // above). Returns false and sets error() on corrupt or truncated input or
  // when the output would exceed max_output bytes; out then holds a prefix.
  // An empty input decodes to an empty output.
  bool decode(std::string_view in, std::string& out, size_t max_output);

  [[nodiscard]] DecodeError error() const { return error_; }

 private:
  struct State;

  std::unique_ptr<State> state_;
  DecodeError error_ = DecodeError::kNone;
};

}  // namespace barrage::http
