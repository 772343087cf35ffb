# barrage_warnings(target): strict warnings for our own code only.
function(barrage_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual
    -Wimplicit-fallthrough
    # GCC 12 reports impossible sizes inside libstdc++'s string code at -O2
    # (GCC bug 105329, a false positive); the check stays on for other compilers.
    $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
  if(CMAKE_CXX_FLAGS MATCHES "sanitize")
    # Sanitizer instrumentation makes GCC 12 report maybe-uninitialized inside
    # libstdc++ (std::regex, std::function): false positives under ASan only.
    target_compile_options(${target} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
  endif()
  if(BARRAGE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
