scream_add_unit_test(receiver_engine_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/engine/stream_tracker_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/engine/channel_remap_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/engine/engine_simulation_test.cpp
  LIBS scream_receiver_engine scream_test_support)
