# DSP stages of the receiver: jitter ring, sample conversion, clock estimation, rate control,
# resampling, concealment, the adaptive latency target and a sound server's buffer size.
target_sources(scream_receiver_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/pcm_convert.cpp
  ${CMAKE_CURRENT_LIST_DIR}/clock_estimator.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rate_controller.cpp
  ${CMAKE_CURRENT_LIST_DIR}/level_corrector.cpp
  ${CMAKE_CURRENT_LIST_DIR}/period_ops.cpp
  ${CMAKE_CURRENT_LIST_DIR}/playout.cpp
  ${CMAKE_CURRENT_LIST_DIR}/arrival_analyzer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/signal_continuity.cpp
  ${CMAKE_CURRENT_LIST_DIR}/arrival_latency_meter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/resampler.cpp
  ${CMAKE_CURRENT_LIST_DIR}/concealer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/latency_target.cpp
  ${CMAKE_CURRENT_LIST_DIR}/device_buffer_policy.cpp)
