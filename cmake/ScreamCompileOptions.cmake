# Project-wide compile options: warnings, sanitizers, and the freestanding flag set that code
# shared with the Windows kernel driver must compile under.

add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
if(SCREAM_WERROR)
  add_compile_options(-Werror)
endif()

if(SCREAM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# Flags that mirror the kernel build (see shared/WINDOWS-DRIVER.md): no exceptions, no RTTI, no
# thread-safe statics, no C++ standard library headers.
set(SCREAM_FREESTANDING_FLAGS
    -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics -nostdinc++
    -fno-stack-protector)

# scream_freestanding_library(NAME SOURCES...): an object library compiled with the kernel's flag
# set, used by the freestanding check test to prove the sources need nothing from a C++ runtime.
function(scream_freestanding_library name)
  add_library(${name} OBJECT ${ARGN})
  target_compile_options(${name} PRIVATE ${SCREAM_FREESTANDING_FLAGS})
  set_target_properties(${name} PROPERTIES CXX_STANDARD 17)
  # Sanitizer instrumentation adds runtime references; the check is about our code.
  if(SCREAM_SANITIZE)
    target_compile_options(${name} PRIVATE -fno-sanitize=all)
  endif()
endfunction()
