# Network input: UDP socket (multicast/unicast), interface resolution, sender lock.
target_sources(scream_receiver_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/source_address.cpp
  ${CMAKE_CURRENT_LIST_DIR}/source_filter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/network_interface.cpp
  ${CMAKE_CURRENT_LIST_DIR}/udp_input.cpp)
