# Fuzz targets for the metrics wire formats (histogram bytes/base64, snapshot JSON,
# binary snapshot).
barrage_fuzz_target(histogram SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_histogram.cc
                    LIBS barrage_metrics)
barrage_fuzz_target(snapshot SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_snapshot.cc
                    LIBS barrage_metrics)
barrage_fuzz_target(snapshot_wire SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_snapshot_wire.cc
                    LIBS barrage_metrics)
