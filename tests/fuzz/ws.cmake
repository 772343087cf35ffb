# Fuzz target for the ws engine's frame layer (src/engine/ws_codec): the
# bytes a WebSocket server sends.
barrage_fuzz_target(ws_frames SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_ws_frames.cc
                    LIBS barrage_engine)
