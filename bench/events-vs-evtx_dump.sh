#!/usr/bin/env bash
# EVTX throughput: `exray hunt` (all event rules on) against `evtx_dump` of the same evtx crate
# version, over the same files, in the same run. The public EVTX samples are small, so the corpus
# is COPIES copies of ../shared/data/evtx. Usage: bench/events-vs-evtx_dump.sh [COPIES]
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-100}
src=../shared/data/evtx
[ -d "$src" ] || { echo "skipping: $src absent"; exit 0; }
command -v evtx_dump >/dev/null || cargo install -q evtx --version 0.15.1 --locked
cargo build --release -q -p exray --no-default-features
dir=/tmp/exray-evtx-bench
rm -rf "$dir"; mkdir -p "$dir"
i=0
while IFS= read -r -d '' f; do
  i=$((i+1))
  for c in $(seq 1 "$copies"); do cp "$f" "$dir/f${i}_$c.evtx"; done
done < <(find "$src" -name '*.evtx' -print0)
files=$(ls "$dir" | wc -l)
find "$dir" -type f -exec cat {} + >/dev/null
./target/release/exray hunt --no-files -f json -o /tmp/exray-evtx.json "$dir" || true
events=$(python3 -c "import json;r=json.load(open('/tmp/exray-evtx.json'));print(sum(c['records'] for c in r['coverage'] if c['source']=='evtx'))")
t_ex=$( { /usr/bin/time -f %e ./target/release/exray hunt --no-files --threads 2 -f jsonl -o /dev/null "$dir" 2>&1 >/dev/null || true; } | tail -1 )
t_dump=$( { /usr/bin/time -f %e sh -c "ls $dir/*.evtx | xargs -P 2 -I{} evtx_dump -t 1 -o jsonl {} >/dev/null" 2>&1 || true; } | tail -1 )
echo "corpus: $files EVTX files, $events events"
awk -v e="$events" -v a="$t_ex" -v b="$t_dump" 'BEGIN {
  printf "exray hunt (2 threads, all rules): %.2fs = %.0f events/s = %.0f events/s per core\n", a, e/a, e/a/2
  printf "evtx_dump -o jsonl (2 at a time):  %.2fs = %.0f events/s = %.0f events/s per core\n", b, e/b, e/b/2
  printf "ratio exray/evtx_dump time: %.2fx\n", a/b }'
