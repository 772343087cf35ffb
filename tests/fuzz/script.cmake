barrage_fuzz_target(script SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_script.cc LIBS barrage_script)
barrage_fuzz_target(template SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_template.cc
                    LIBS barrage_script)
barrage_fuzz_target(expression SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_expression.cc
                    LIBS barrage_script)
barrage_fuzz_target(csv SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_csv.cc LIBS barrage_script)
