#!/usr/bin/env bash
# check_libtorch_boundary.sh [--library NAME REGEX] --without BIN... --with BIN...
# Fails unless every --without binary loads no libtorch library (libtorch*,
# libc10*) and every --with binary does, as the dynamic loader resolves them
# (ldd). Prints what it found for each binary. --library checks another
# optional library instead: NAME in messages, REGEX (grep -E) matched against
# the loaded library names (speech_boundary: pocketsphinx '^lib(pocketsphinx|sphinxbase)').
set -euo pipefail
mode=""
failures=0
checked=0
lib_name=libtorch
lib_regex='^lib(torch|c10)'
if [ "${1:-}" = "--library" ]; then
  lib_name=$2
  lib_regex=$3
  shift 3
fi
for arg in "$@"; do
  case "$arg" in
    --without|--with) mode="$arg"; continue ;;
  esac
  if [ -z "$mode" ]; then echo "usage: $0 --without BIN... --with BIN..." >&2; exit 2; fi
  if [ ! -x "$arg" ]; then echo "FAIL: $arg: not an executable" >&2; failures=$((failures+1)); continue; fi
  libs=$(ldd "$arg" | awk '{print $1}' | grep -E "$lib_regex" | sort -u | tr '\n' ' ' || true)
  checked=$((checked+1))
  name=$(basename "$arg")
  if [ "$mode" = "--without" ]; then
    if [ -n "$libs" ]; then
      echo "FAIL: $name loads $lib_name: $libs"; failures=$((failures+1))
    else
      echo "ok:   $name loads no $lib_name"
    fi
  else
    if [ -z "$libs" ]; then
      echo "FAIL: $name should load $lib_name and does not"; failures=$((failures+1))
    else
      echo "ok:   $name loads $libs"
    fi
  fi
done
echo "$checked binaries checked, $failures failures"
[ "$checked" -gt 0 ] && [ "$failures" -eq 0 ]
