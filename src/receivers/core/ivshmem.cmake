# IVSHMEM input (-m PATH): the shared-memory ring reader and the file it maps.
target_sources(scream_receiver_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/ivshmem_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ivshmem_input.cpp)
