#!/usr/bin/env bash
# Runs one libFuzzer target of tests/fuzz for a bounded time from fresh
# seeds, keeping its corpus in <work dir>/corpus between runs. Seeds:
# decode_fuzzer's are small audio files made here with the ffmpeg CLI; the
# other targets write their own (SOUNDSEARCH_FUZZ_WRITE_SEEDS). Prints the
# executions reached; fails (never skips) on a crash, leak, timeout, broken
# contract or anything missing. Used by ctest (label `fuzz`) and
# scripts/fuzz.
# Usage: run_fuzzer.sh <fuzzer binary> <work dir> <seconds> [libFuzzer flags]
set -euo pipefail
binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$2
seconds=$3
shift 3
name=$(basename "$binary")

mkdir -p "$work"
work=$(cd "$work" && pwd)
seeds="$work/seeds"
corpus="$work/corpus"
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus"
if [ "$name" = decode_fuzzer ]; then
  ff=(ffmpeg -nostdin -hide_banner -loglevel error -y)
  "${ff[@]}" -f lavfi -i "sine=frequency=1000:duration=0.25:sample_rate=8000" \
    -c:a pcm_s16le "$seeds/s16.wav" -c:a pcm_f32le "$seeds/f32.wav" \
    -c:a pcm_s24be "$seeds/s24.aiff" -c:a flac "$seeds/a.flac" \
    -c:a libmp3lame -b:a 32k "$seeds/a.mp3" -c:a libvorbis "$seeds/a.ogg" \
    -c:a libopus -b:a 16k "$seeds/a.opus" -c:a aac -b:a 32k "$seeds/a.m4a" \
    -c:a libopus -b:a 16k "$seeds/a.webm"
  "${ff[@]}" -f lavfi -i "sine=frequency=440:duration=0.1:sample_rate=22050" \
    -ac 2 -c:a aac -f adts "$seeds/a.aac"
else
  SOUNDSEARCH_FUZZ_WRITE_SEEDS="$seeds" "$binary"
fi

echo "== $name: fuzzing for ${seconds} s"
log="$work/last_run.log"
cd "$work"
# Sanitizer reports go to the log as well; libFuzzer exits non-zero on any.
set +e
"$binary" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/" \
  "$@" "$corpus" "$seeds" > "$log" 2>&1
rc=$?
set -e
executions=$({ grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" ||
               true; } | grep -o '[0-9]*$' | tail -1 || true)
if [ "$rc" != 0 ]; then
  tail -n 80 "$log"
  echo "== $name: FAILED (exit $rc) after ${executions:-?} executions; " \
       "artifacts in $work"
  exit 1
fi
echo "== $name: ${executions:-0} executions in ${seconds} s, no crash," \
     "leak, timeout or contract breach (corpus: $(ls "$corpus" | wc -l) inputs)"
