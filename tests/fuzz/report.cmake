# Fuzz target for the JSON report reader (and its writer's round trip).
barrage_fuzz_target(report SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_report.cc
                    LIBS barrage_report)
