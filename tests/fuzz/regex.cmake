# Fuzz target for regexp and xpath captures: hostile patterns, flags,
# expressions and bodies.
barrage_fuzz_target(regex SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_regex.cc
                    LIBS barrage_script)
