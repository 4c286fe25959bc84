#!/usr/bin/env bash
# Runs the example clients (examples/python, examples/node) against a live
# soundsearchd on a loopback port. Usage: examples_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
bin=$1
src=$2
work=$(mktemp -d)
trap 'kill -TERM ${pid:-0} 2>/dev/null || true; wait ${pid:-0} 2>/dev/null || true; rm -rf "$work"' EXIT

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/soundsearchd" --data-dir "$work/data" --listen "127.0.0.1:$port" --metrics-listen "" --http-listen "" 2>"$work/server.log" &
pid=$!
up=0
for _ in $(seq 1 100); do
  if "$bin/soundsearch" --server "127.0.0.1:$port" --timeout 1 stats >/dev/null 2>&1; then up=1; break; fi
  kill -0 $pid 2>/dev/null || break
  sleep 0.2
done
if [ $up != 1 ]; then
  echo "soundsearchd did not come up:" >&2; cat "$work/server.log" >&2; exit 1
fi

sox -n -r 22050 -c 1 "$work/a440.wav" synth 1 sine 440 2>/dev/null
sox -n -r 22050 -c 1 "$work/a460.wav" synth 1 sine 460 2>/dev/null
sox -n -r 22050 -c 1 "$work/noise.wav" synth 1 whitenoise vol 0.3 2>/dev/null

echo "--- python client"
py="/usr/bin/python3 $src/examples/python/soundsearch_client.py --server 127.0.0.1:$port"
out=$($py add "$work/a440.wav" --labels tone --tags sine)
echo "$out"
echo "$out" | grep -q '"duplicate": false'
$py add "$work/noise.wav" --labels noise --tags hiss >/dev/null
out=$($py query "$work/a460.wav" -k 2)
echo "$out"
/usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1])["results"]; assert len(r)==2 and r[0]["labels"]==["tone"], r' "$out"
# Several examples, for and against; text; listing; export; describe.
out=$($py query "$work/a460.wav" "$work/a440.wav" --not "$work/noise.wav" -k 1 --strategy best_score)
echo "$out"
/usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["results"][0]["labels"]==["tone"] and "negative" in r["results"][0]["sources"], r' "$out"
out=$($py search "sines" -k 1)
echo "$out"
/usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["words"]==[{"text":"sines","word":"sine"}] and r["results"][0]["labels"]==["tone"] and r["next_page_token"], r' "$out"
out=$($py list --labels-any noise)
/usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert [s["labels"] for s in r["sounds"]]==[["noise"]], r' "$out"
test "$($py export | wc -l)" = 2
out=$($py describe "$work/noise.wav")
echo "$out"
/usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["words"][0]["word"] in ("hiss","noise"), r' "$out"

echo "--- node client"
cp -r "$src/examples/node" "$work/node"
rm -rf "$work/node/node_modules"
# The client loads ../../proto relative to itself: mirror the layout.
mkdir -p "$work/examples" && mv "$work/node" "$work/examples/node" && cp -r "$src/proto" "$work/proto"
(cd "$work/examples/node" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
node "$work/examples/node/client.js" --server "127.0.0.1:$port" add "$work/a460.wav" --labels tone
out=$(node "$work/examples/node/client.js" --server "127.0.0.1:$port" query "$work/a440.wav" -k 3)
echo "$out"
node -e 'const r=JSON.parse(process.argv[1]).results; if (r.length!==3 || r[0].labels[0]!=="tone" || r[1].labels[0]!=="tone") { console.error(r); process.exit(1); }' "$out"
nodec="node $work/examples/node/client.js --server 127.0.0.1:$port"
out=$($nodec query "$work/a440.wav" --not "$work/noise.wav" -k 2)
echo "$out"
node -e 'const r=JSON.parse(process.argv[1]).results; if (r.length!==2 || r[0].labels[0]!=="tone") { console.error(r); process.exit(1); }' "$out"
out=$($nodec search hissing -k 1)
echo "$out"
node -e 'const r=JSON.parse(process.argv[1]); if (r.words[0].word!=="hiss" || r.results[0].labels[0]!=="noise" || !r.next_page_token) { console.error(r); process.exit(1); }' "$out"
out=$($nodec list --labels-any tone --page-size 1)
node -e 'const r=JSON.parse(process.argv[1]); if (r.sounds.length!==1 || !r.next_page_token) { console.error(r); process.exit(1); }' "$out"
test "$($nodec export | wc -l)" = 3
out=$($nodec describe "$work/a440.wav")
echo "$out"
node -e 'const r=JSON.parse(process.argv[1]); if (!["sine","tone"].includes(r.words[0].word)) { console.error(r); process.exit(1); }' "$out"
echo "examples: OK"
