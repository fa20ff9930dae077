#!/usr/bin/env bash
# Times `exray hunt` (logs only) against ripgrep over the same generated HttpProxy and IIS logs,
# in the same run, and reports exray's peak memory. Usage: bench/hunt-vs-ripgrep.sh [MB] [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-1024}
dir=${2:-/tmp/exray-bench-logs}
command -v rg >/dev/null || { echo "needs ripgrep (apt-get install ripgrep)"; exit 2; }
cargo build --release -q -p exray --no-default-features
cargo build --release -q -p exray-gen
if [ ! -f "$dir/.done-$mb" ]; then
  rm -rf "$dir"; mkdir -p "$dir"
  ./target/release/exray-gen bench "$dir" "$mb"
  touch "$dir/.done-$mb"
fi
echo "corpus: $(du -sh "$dir" | cut -f1) in $(find "$dir" -type f -name '*.*' | wc -l) files"
# Warm the page cache so both read from memory.
find "$dir" -type f -exec cat {} + >/dev/null
best() { sort -n | head -1; }
t_rg=$( for i in 1 2 3; do /usr/bin/time -f %e rg -c 'ServerInfo~' "$dir" >/dev/null 2>/tmp/rg.t || true; cat /tmp/rg.t; done | best )
t_ex=$( for i in 1 2 3; do /usr/bin/time -f "%e %M" ./target/release/exray hunt --no-files -f jsonl -o /tmp/exray-bench.jsonl "$dir" 2>/tmp/ex.t || true; tail -1 /tmp/ex.t; done | sort -n | head -1 )
secs=${t_ex% *}; kb=${t_ex#* }
echo "ripgrep rg -c 'ServerInfo~': ${t_rg}s"
echo "exray hunt --no-files:        ${secs}s, peak RSS $((kb/1024)) MB"
awk -v a="$secs" -v b="$t_rg" 'BEGIN { printf "ratio exray/ripgrep: %.2fx\n", a/b }'
