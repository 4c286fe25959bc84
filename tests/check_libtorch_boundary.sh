#!/usr/bin/env bash
# check_libtorch_boundary.sh --without BIN... --with BIN...
# Fails unless every --without binary loads no libtorch library (libtorch*,
# libc10*) and every --with binary does, as the dynamic loader resolves them
# (ldd). Prints what it found for each binary.
set -euo pipefail
mode=""
failures=0
checked=0
for arg in "$@"; do
  case "$arg" in
    --without|--with) mode="$arg"; continue ;;
  esac
  if [ -z "$mode" ]; then echo "usage: $0 --without BIN... --with BIN..." >&2; exit 2; fi
  if [ ! -x "$arg" ]; then echo "FAIL: $arg: not an executable" >&2; failures=$((failures+1)); continue; fi
  libs=$(ldd "$arg" | awk '{print $1}' | grep -E '^lib(torch|c10)' | sort -u | tr '\n' ' ' || true)
  checked=$((checked+1))
  name=$(basename "$arg")
  if [ "$mode" = "--without" ]; then
    if [ -n "$libs" ]; then
      echo "FAIL: $name loads libtorch: $libs"; failures=$((failures+1))
    else
      echo "ok:   $name loads no libtorch"
    fi
  else
    if [ -z "$libs" ]; then
      echo "FAIL: $name should load libtorch and does not"; failures=$((failures+1))
    else
      echo "ok:   $name loads $libs"
    fi
  fi
done
echo "$checked binaries checked, $failures failures"
[ "$checked" -gt 0 ] && [ "$failures" -eq 0 ]
