#!/usr/bin/env bash
# Builds tests/fuzz with clang and runs a bounded fuzz session of
# decode_fuzzer, seeded with small valid files made here with the ffmpeg CLI.
# Registered as the ctest test `decode_fuzzer`; fails (never skips) when
# anything is missing.
# Usage: run_decode_fuzzer.sh <repo root> <work dir> <clang++> [seconds]
set -euo pipefail
src=$1
work=$2
cxx=$3
seconds=${4:-30}

mkdir -p "$work"
work=$(cd "$work" && pwd)
echo "== configuring tests/fuzz with $cxx"
cmake -S "$src/tests/fuzz" -B "$work/build" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; echo "decode_fuzzer: configure failed"; exit 1; }
echo "== building decode_fuzzer"
cmake --build "$work/build" -j2 > "$work/build.log" 2>&1 ||
  { cat "$work/build.log"; echo "decode_fuzzer: build failed"; exit 1; }

echo "== making seeds"
seeds="$work/seeds"
corpus="$work/corpus"
rm -rf "$seeds" "$corpus"
mkdir -p "$seeds" "$corpus"
ff=(ffmpeg -nostdin -hide_banner -loglevel error -y)
"${ff[@]}" -f lavfi -i "sine=frequency=1000:duration=0.25:sample_rate=8000" \
  -c:a pcm_s16le "$seeds/s16.wav" -c:a pcm_f32le "$seeds/f32.wav" \
  -c:a pcm_s24be "$seeds/s24.aiff" -c:a flac "$seeds/a.flac" \
  -c:a libmp3lame -b:a 32k "$seeds/a.mp3" -c:a libvorbis "$seeds/a.ogg" \
  -c:a libopus -b:a 16k "$seeds/a.opus" -c:a aac -b:a 32k "$seeds/a.m4a" \
  -c:a libopus -b:a 16k "$seeds/a.webm"
"${ff[@]}" -f lavfi -i "sine=frequency=440:duration=0.1:sample_rate=22050" \
  -ac 2 -c:a aac -f adts "$seeds/a.aac"
ls -l "$seeds"

echo "== fuzzing for ${seconds} s"
cd "$work"
"$work/build/decode_fuzzer" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$work/" "$corpus" "$seeds"
echo "== decode_fuzzer: no crash, leak, hang or contract breach"
