// printf-style lines into the doubles' record files (C:\scream-wine\<file> in the prefix), which
// the Linux side of the test parses: one event a line, "key=value" fields.
#pragma once

#include <ntddk.h>
#include <stdarg.h>

#include "wine_host.h"

extern "C" int __cdecl _vsnprintf(char* buffer, size_t count, const char* format, va_list args);

inline void recordLine(const char* fileName, const char* format, ...) {
  char line[512];
  va_list args;
  va_start(args, format);
  const int length = _vsnprintf(line, sizeof(line) - 1, format, args);
  va_end(args);
  line[length < 0 ? sizeof(line) - 1 : static_cast<size_t>(length)] = 0;
  hostAppendLine(fileName, line);
}
