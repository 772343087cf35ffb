// `barrage lambda package`: a zip for a provided.al2023 custom runtime that
// holds the barrage binary, every shared library it loads (as ldd lists
// them), the dynamic loader and a `bootstrap` script that starts the binary
// through that loader, so the worker runs whatever glibc the host has.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace barrage::lambda {

struct SharedLibrary {
  std::string name;  // the soname the binary asks for ("libc.so.6")
  std::string path;  // where the loader found it
};

struct LddOutput {
  std::vector<SharedLibrary> libraries;
  std::string loader;                // "/lib64/ld-linux-x86-64.so.2"
  std::vector<std::string> missing;  // "libfoo.so.1 => not found"
};

// Parses ldd's listing (lines "NAME => PATH (ADDR)", "PATH (ADDR)" for the
// loader, the vdso without a path).
LddOutput parse_ldd(std::string_view text);

// The bootstrap script for a loader file named `loader_name`.
std::string bootstrap_script(std::string_view loader_name);

struct PackageOptions {
  std::string output = "barrage-lambda-x86_64.zip";
  std::string arch = "x86_64";
  std::string binary = "/proc/self/exe";
};

struct PackageResult {
  std::string path;
  uint64_t bytes = 0;  // the zip's size
  size_t libraries = 0;
  std::string loader;
};

// Throws std::runtime_error (unsupported arch, ldd failed, a library missing,
// the zip could not be written).
PackageResult write_package(const PackageOptions& options);

}  // namespace barrage::lambda
