# IVSHMEM input tests: header validation, the ring reader against the real writer of scream-send
# (files in /dev/shm or $TMPDIR), and the file-following input.
scream_add_unit_test(receiver_ivshmem_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/ivshmem/ivshmem_header_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/ivshmem/ivshmem_reader_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/ivshmem/ivshmem_input_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/ivshmem/ivshmem_stress_test.cpp
  LIBS scream_receiver_core scream_sender)
