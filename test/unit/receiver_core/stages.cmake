# Unit tests of the receiver's DSP stages (src/receivers/core/stages.cmake).
scream_add_unit_test(receiver_stages_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/stages/spsc_ring_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/stages/pcm_convert_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/stages/clock_estimator_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/stages/resampler_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/stages/concealer_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/stages/playout_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/stages/rate_controller_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/stages/level_corrector_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/stages/arrival_analyzer_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/stages/signal_continuity_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/stages/arrival_latency_meter_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/stages/period_ops_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/stages/latency_target_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/stages/device_buffer_policy_test.cpp
  LIBS scream_receiver_core scream_test_support)
