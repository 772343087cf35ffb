# Fuzz target for JSONPath captures: hostile expressions and response bodies.
barrage_fuzz_target(jsonpath SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_jsonpath.cc
                    LIBS barrage_script)
