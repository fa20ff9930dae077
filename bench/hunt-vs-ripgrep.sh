#!/usr/bin/env bash
# Times `exray hunt` (logs only) against ripgrep over the same generated HttpProxy and IIS logs,
# in the same run, and reports exray's peak memory.
# Usage: bench/hunt-vs-ripgrep.sh [MB] [DIR] [RUNS] [FILE_KB]
# The commands run alternately RUNS times (default 9), page cache warm; medians are compared.
# FILE_KB sets the size of each log file (default 65536: 64 MiB; try 256 for many small files).
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-1024}
dir=${2:-/tmp/exray-bench-logs}
runs=${3:-9}
kb=${4:-65536}
command -v rg >/dev/null || { echo "needs ripgrep (apt-get install ripgrep)"; exit 2; }
cargo build --release -q -p exray --no-default-features
cargo build --release -q -p exray-gen
bin=${CARGO_TARGET_DIR:-target}/release
if [ ! -f "$dir/.done-$mb-$kb" ]; then
  rm -rf "$dir"; mkdir -p "$dir"
  "$bin"/exray-gen bench "$dir" "$mb" "$kb"
  touch "$dir/.done-$mb-$kb"
fi
echo "corpus: $(du -sh "$dir" | cut -f1) in $(find "$dir" -type f -name '*.*' | wc -l) files; $(nproc) cores"
# Warm the page cache so both read from memory.
find "$dir" -type f -exec cat {} + >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Wall time in seconds, to the millisecond (GNU time only gives hundredths).
secs() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s%N); awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f\n", d / 1e9 }'; }
: >"$out/rg"; : >"$out/ex"; : >"$out/avx2"
for _ in $(seq "$runs"); do
  secs rg -c 'ServerInfo~' "$dir" >>"$out/rg"
  secs "$bin"/exray hunt --no-files -f jsonl -o "$out/r.jsonl" "$dir" >>"$out/ex"
  secs env EXRAY_PREFILTER=avx2 "$bin"/exray hunt --no-files -f jsonl -o "$out/r2.jsonl" "$dir" >>"$out/avx2"
done
/usr/bin/time -f "%M" -o "$out/mem" "$bin"/exray hunt --no-files -f jsonl -o "$out/r.jsonl" "$dir" 2>/dev/null || true
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
t_rg=$(median <"$out/rg")
t_ex=$(median <"$out/ex")
t_av=$(median <"$out/avx2")
rss=$(tail -1 "$out/mem")
echo "ripgrep rg -c 'ServerInfo~':            ${t_rg}s (median of $runs)"
echo "exray hunt --no-files (best engine):    ${t_ex}s, peak RSS $((rss / 1024)) MB"
echo "exray hunt --no-files (AVX2 engine):    ${t_av}s"
awk -v a="$t_ex" -v b="$t_rg" 'BEGIN { printf "ratio exray/ripgrep: %.2fx\n", a / b }'
awk -v a="$t_av" -v b="$t_rg" 'BEGIN { printf "ratio exray(AVX2)/ripgrep: %.2fx\n", a / b }'
