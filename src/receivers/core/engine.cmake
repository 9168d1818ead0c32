# Engine sources: a separate target while the stages it uses are being written in parallel.
add_library(scream_receiver_engine STATIC
  ${CMAKE_CURRENT_LIST_DIR}/stream_tracker.cpp
  ${CMAKE_CURRENT_LIST_DIR}/channel_remap.cpp
  ${CMAKE_CURRENT_LIST_DIR}/engine.cpp
  ${CMAKE_CURRENT_LIST_DIR}/thread_priority.cpp)
target_link_libraries(scream_receiver_engine PUBLIC scream_receiver_core spdlog::spdlog)
