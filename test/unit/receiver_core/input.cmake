# Network input tests. Real sockets: unicast on 127.0.0.1; multicast only inside private network
# namespaces created by the tests (root; they skip otherwise).
scream_add_unit_test(receiver_input_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/input/source_address_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/input/source_filter_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/input/network_interface_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/input/udp_input_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/input/udp_input_multicast_test.cpp
  LIBS scream_receiver_core)
