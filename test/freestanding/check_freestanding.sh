#!/usr/bin/env bash
# Usage: check_freestanding.sh OBJECT...
# Fails when an object compiled for the kernel needs more than memcpy/memset/memmove/memcmp, or
# has a static constructor (no CRT runs them in a driver).
set -euo pipefail
allowed='^(memcpy|memset|memmove|memcmp)$'
status=0
# Link the objects together first: references between our own files are fine, only what is
# still undefined afterwards must come from the kernel.
combined=$(mktemp --suffix=.o)
trap 'rm -f "$combined"' EXIT
ld -r -o "$combined" "$@"
for obj in "$combined"; do
  while read -r sym; do
    [[ -z "$sym" ]] && continue
    if ! [[ "$sym" =~ $allowed ]]; then
      echo "FAIL: $obj needs '$sym' (not available to the kernel driver)"
      status=1
    fi
  done < <(nm -u --format=just-symbols "$obj")
  if nm --format=just-symbols "$obj" | grep -q '_GLOBAL__sub_I'; then
    echo "FAIL: $obj has a static constructor"
    status=1
  fi
  if objdump -h "$obj" | grep -qE '\.(init_array|ctors)'; then
    echo "FAIL: $obj has an .init_array/.ctors section"
    status=1
  fi
done
[[ $status -eq 0 ]] && echo "ok: $# objects together need only mem* functions and have no static constructors"
exit $status
