# Fuzz targets for the distributed wire formats: worker protocol envelopes
# (with multi-part reassembly) and the WorkerJob a worker is launched with.
barrage_fuzz_target(protocol SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_protocol.cc
                    LIBS barrage_fleet_protocol)
# The Lambda Runtime API's /invocation/next responses, read by the worker.
barrage_fuzz_target(runtime SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_runtime.cc
                    LIBS barrage_lambda_runtime nlohmann_json::nlohmann_json)
