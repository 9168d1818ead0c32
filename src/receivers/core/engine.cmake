target_sources(scream_receiver_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/stats.cpp)
