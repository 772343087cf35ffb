# Fuzz targets for src/http parsers of outside input: responses (the load
# client) and requests (the demo target).
barrage_fuzz_target(response_parser
  SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_response_parser.cc LIBS barrage_http)
barrage_fuzz_target(url SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_url.cc LIBS barrage_http)
barrage_fuzz_target(request_parser SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_request_parser.cc
                    LIBS barrage_http)
