# Fails the driver build when an object needs a static constructor: no CRT runs them in a driver,
# so such a table would stay zero on Windows. Run with -DOBJECT_DIR=<dir of the driver's .o> -P.
find_program(NM x86_64-w64-mingw32-nm REQUIRED)
file(GLOB objects ${OBJECT_DIR}/*.o)
foreach(object ${objects})
  execute_process(COMMAND ${NM} ${object} OUTPUT_VARIABLE symbols RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "nm failed on ${object}")
  endif()
  if(symbols MATCHES "_GLOBAL__sub_I")
    message(FATAL_ERROR "${object} has a static constructor (_GLOBAL__sub_I); make it constant data")
  endif()
endforeach()
