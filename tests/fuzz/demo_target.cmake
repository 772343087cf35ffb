barrage_fuzz_target(request_parser SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_request_parser.cc
                    LIBS barrage_demo_target)
