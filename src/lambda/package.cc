#include "lambda/package.h"

#include <sys/stat.h>
#include <zip.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "util/ascii.h"

namespace barrage::lambda {

namespace {

namespace fs = std::filesystem;

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};

// Every entry's modification time, so the same binary and libraries give
// the same zip byte for byte: its sha256 is how `lambda setup` and runs tell
// that the deployed package is current (2020-01-01T00:00:00Z).
constexpr time_t kEntryMtime = 1577836800;

std::string zip_error_text(zip_t* z) { return zip_error_strerror(zip_get_error(z)); }

void add_entry(zip_t* z, const std::string& name, zip_source_t* src, mode_t mode) {
  if (src == nullptr) throw std::runtime_error("zip: cannot read source for " + name);
  const zip_int64_t idx = zip_file_add(z, name.c_str(), src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
  if (idx < 0) {
    zip_source_free(src);
    throw std::runtime_error("zip: cannot add " + name + ": " + zip_error_text(z));
  }
  const auto i = static_cast<zip_uint64_t>(idx);
  // zlib's default level 6: on the 5.5 MB release binary level 9 saves under
  // 1% of the zip and costs 3.5x the CPU (an ASan build's 199 MB binary: 23 s
  // against 6.5 s), paid on every `lambda setup` that repackages.
  zip_set_file_compression(z, i, ZIP_CM_DEFLATE, 6);
  const zip_uint32_t attributes = static_cast<zip_uint32_t>(S_IFREG | mode) << 16;
  if (zip_file_set_external_attributes(z, i, 0, ZIP_OPSYS_UNIX, attributes) != 0)
    throw std::runtime_error("zip: cannot set the mode of " + name + ": " + zip_error_text(z));
  if (zip_file_set_mtime(z, i, kEntryMtime, 0) != 0)
    throw std::runtime_error("zip: cannot set the time of " + name + ": " + zip_error_text(z));
}

void add_file(zip_t* z, const std::string& name, const std::string& path, mode_t mode) {
  const std::string real = fs::canonical(path).string();
  add_entry(z, name, zip_source_file(z, real.c_str(), 0, -1), mode);
}

std::string run_ldd(const std::string& binary) {
  const std::string cmd = "ldd '" + binary + "' 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) throw std::runtime_error("cannot run ldd");
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
  const int status = pclose(p.release());
  if (status != 0) throw std::runtime_error("ldd " + binary + " failed: " + out);
  return out;
}

}  // namespace

LddOutput parse_ldd(std::string_view text) {
  LddOutput out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = ascii::trim_ows(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) continue;
    // Drop the load address.
    if (const size_t paren = line.rfind(" ("); paren != std::string_view::npos)
      line = ascii::trim_ows(line.substr(0, paren));
    const size_t arrow = line.find(" => ");
    if (arrow == std::string_view::npos) {
      if (line.starts_with("/")) out.loader = std::string(line);
      continue;  // the vdso, "statically linked", ...
    }
    const std::string_view name = ascii::trim_ows(line.substr(0, arrow));
    const std::string_view path = ascii::trim_ows(line.substr(arrow + 4));
    if (path == "not found") {
      out.missing.emplace_back(name);
    } else if (!path.empty()) {
      out.libraries.push_back({std::string(name), std::string(path)});
    }
  }
  return out;
}

std::string bootstrap_script(std::string_view loader_name) {
  return "#!/bin/sh\n"
         "# barrage's Lambda custom runtime: starts the bundled binary through the\n"
         "# bundled dynamic loader and libraries, whatever the host's glibc.\n"
         "cd \"$(dirname \"$0\")\" || exit 1\n"
         "exec ./" +
         std::string(loader_name) + " --library-path ./lib ./barrage lambda-worker\n";
}

PackageResult write_package(const PackageOptions& options) {
  if (options.arch == "arm64") {
    throw std::runtime_error(
        "arm64 packages are not available: they need an aarch64 build of barrage and its "
        "libraries (a cross toolchain this build does not have); use --arch x86_64");
  }
  if (options.arch != "x86_64")
    throw std::runtime_error("unknown architecture '" + options.arch + "' (x86_64 or arm64)");
#if !defined(__x86_64__)
  throw std::runtime_error("this barrage is not an x86_64 build; it cannot package x86_64");
#endif
  const std::string binary = fs::canonical(options.binary).string();
  const LddOutput ldd = parse_ldd(run_ldd(binary));
  if (!ldd.missing.empty())
    throw std::runtime_error("ldd: " + ldd.missing.front() + " not found for " + binary);
  if (ldd.loader.empty()) throw std::runtime_error("ldd named no dynamic loader for " + binary);

  const std::string tmp = options.output + ".tmp";
  std::error_code ec;
  fs::remove(tmp, ec);
  int zerr = 0;
  std::unique_ptr<zip_t, ZipDiscard> z(zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &zerr));
  if (!z) {
    zip_error_t e;
    zip_error_init_with_code(&e, zerr);
    const std::string what = zip_error_strerror(&e);
    zip_error_fini(&e);
    throw std::runtime_error("cannot create " + tmp + ": " + what);
  }
  const std::string loader_name = fs::path(ldd.loader).filename().string();
  const std::string script = bootstrap_script(loader_name);
  // The buffer is read at zip_close; `script` outlives it.
  add_entry(z.get(), "bootstrap", zip_source_buffer(z.get(), script.data(), script.size(), 0),
            0755);
  add_file(z.get(), "barrage", binary, 0755);
  add_file(z.get(), loader_name, ldd.loader, 0755);
  for (const auto& lib : ldd.libraries) add_file(z.get(), "lib/" + lib.name, lib.path, 0644);
  zip_t* raw = z.release();
  if (zip_close(raw) != 0) {
    const std::string what = zip_error_text(raw);
    zip_discard(raw);
    throw std::runtime_error("cannot write " + tmp + ": " + what);
  }
  fs::rename(tmp, options.output);

  PackageResult r;
  r.path = options.output;
  r.bytes = fs::file_size(options.output);
  r.libraries = ldd.libraries.size();
  r.loader = loader_name;
  return r;
}

}  // namespace barrage::lambda
