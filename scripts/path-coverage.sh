#!/usr/bin/env bash
# path-coverage.sh: the functions and files of the module that one direct
# move of one instance runs through (defaults: one read, one move, one
# confirmation), with a binary built with -cover, run once in local mode
# against the loopback emulator. Prints the counts, then the functions.
set -euo pipefail
cd "$(dirname "$0")/.."
d=$(mktemp -d)
trap 'kill "${epid:-0}" 2>/dev/null || true; rm -rf "$d"' EXIT
go build -cover -coverpkg=./... -o "$d/main" .
go build -o "$d/emu" ./cmd/cvm-emulator
port=$((20000 + RANDOM % 20000))
"$d/emu" -addr "127.0.0.1:$port" -seed 5 >/dev/null 2>&1 &
epid=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
mkdir "$d/cov"
echo '{"InstanceIds":["ins-00000001"],"ProjectId":1045}' > "$d/ev.json"
env -i PATH="$PATH" HOME="$HOME" GOCOVERDIR="$d/cov" CVM_ENDPOINT="http://127.0.0.1:$port/" \
  TAG_ENDPOINT="http://127.0.0.1:$port/tag/" METADATA_ENDPOINT="http://127.0.0.1:1" TENCENTCLOUD_REGION=ap-guangzhou \
  TENCENTCLOUD_SECRETID=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE TENCENTCLOUD_SECRETKEY=Gu5t9xGARNpq86cd98joQYCN3EXAMPLE \
  "$d/main" -event "$d/ev.json" >/dev/null 2>&1
go tool covdata func -i "$d/cov" | awk '$NF != "0.0%" && $1 != "total"' > "$d/covered.txt"
echo "functions: $(wc -l < "$d/covered.txt")"
echo "files: $(cut -d: -f1 "$d/covered.txt" | sort -u | wc -l)"
cat "$d/covered.txt"
