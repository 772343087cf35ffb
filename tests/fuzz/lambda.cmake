# Fuzz target for what the Lambda resources read back from S3: run metadata.
barrage_fuzz_target(lambda_meta SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_lambda_meta.cc
                    LIBS barrage_lambda)
