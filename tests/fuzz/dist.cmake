# Fuzz targets for the distributed wire formats: worker protocol envelopes
# (with multi-part reassembly) and the WorkerJob a worker is launched with.
barrage_fuzz_target(protocol SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_protocol.cc
                    LIBS barrage_dist_protocol)
