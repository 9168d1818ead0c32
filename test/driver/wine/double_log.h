// printf-style lines into the doubles' record files (C:\scream-wine\<file> in the prefix), which
// the Linux side of the test parses: one event a line, "key=value" fields, ending in " @<ms>"
// (the performance counter in milliseconds, to order events across the two files).
#pragma once

#include <ntddk.h>
#include <stdarg.h>

#include "wine_host.h"

extern "C" int __cdecl _vsnprintf(char* buffer, size_t count, const char* format, va_list args);
extern "C" int __cdecl _snprintf(char* buffer, size_t count, const char* format, ...);

inline void recordLine(const char* fileName, const char* format, ...) {
  char line[512];
  va_list args;
  va_start(args, format);
  int length = _vsnprintf(line, sizeof(line) - 32, format, args);
  va_end(args);
  if (length < 0) length = sizeof(line) - 32;
  LARGE_INTEGER frequency;
  const LONGLONG counter = KeQueryPerformanceCounter(&frequency).QuadPart;
  _snprintf(line + length, 32, " @%lld", counter * 1000 / frequency.QuadPart);
  hostAppendLine(fileName, line);
}
