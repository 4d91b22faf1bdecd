#!/usr/bin/env bash
# Shared-cache benchmark (issue 7): how fast an empty CI runner builds from a mode=max cache in a loopback registry,
# against a warm local rebuild, and what a second export of an unchanged cache uploads. csbuild only: the peers'
# registry caches need BuildKit's own daemon setup, which bench/run.sh does not use.
#
# usage: bench/cache-import.sh [--runs N] [--output FILE|-]     (as root)
# Context: the two-stage 2,000-file 40 MB app of the noop scenario (bench/lib/generate.py rebuild).
# Target: cold import < 2x the warm local rebuild; the second export uploads no blob.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
source "$BENCH_DIR/../scripts/common.sh"
RUNS=5 OUTPUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --output) OUTPUT="$2"; shift 2 ;;
    *) echo "error: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "error: --runs takes a positive integer" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "error: run as root (RUN steps)" >&2; exit 3; }

ensure_packages runc busybox-static docker-registry python3 curl
build_csbuild

WORK="$(mktemp -d /tmp/csbuild-cache-bench.XXXXXX)"
source "$BENCH_DIR/lib/registry.sh"
trap 'registry_stop; rm -rf "$WORK"' EXIT
registry_start
CACHE_REF="127.0.0.1:$REGISTRY_PORT/bench/app:buildcache"
export SOURCE_DATE_EPOCH=1700000000 NO_COLOR=1   # every runner gets the same base image digest, as from a registry

make_busybox_rootfs_tar "$WORK/busybox.tar"
python3 "$BENCH_DIR/lib/generate.py" rebuild 1 "$WORK/ctx" >/dev/null
csb() { local root="$1"; shift; "$CSBUILD_BIN" --root "$root" "$@"; }
new_runner() { rm -rf "$1"; csb "$1" import "$WORK/busybox.tar" busybox:latest >/dev/null; }
ms() { python3 -c 'import sys; print(f"{int(sys.argv[1]) / 1e6:.0f}")' "$1"; }
median() { python3 -c 'import statistics, sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.0f}")' "$@"; }
timed() { local t0 t1; t0=$(date +%s%N); "$@" > "$WORK/out.log" 2>&1 || { tail -30 "$WORK/out.log" >&2; exit 1; }; t1=$(date +%s%N); ms $((t1 - t0)); }

echo "==> runner A: first build, exporting a mode=max cache to $CACHE_REF" >&2
new_runner "$WORK/root-a"
csb "$WORK/root-a" build --progress=plain -t app:1 --cache-to "type=registry,ref=$CACHE_REF,mode=max" "$WORK/ctx" > "$WORK/first.log" 2>&1 ||
  { tail -30 "$WORK/first.log" >&2; exit 1; }

warm=() cold=()
for round in $(seq 0 "$RUNS"); do
  w=$(timed csb "$WORK/root-a" build --progress=plain -t app:1 "$WORK/ctx")
  new_runner "$WORK/root-b"
  c=$(timed csb "$WORK/root-b" build --progress=plain -t app:1 --cache-from "type=registry,ref=$CACHE_REF" "$WORK/ctx")
  grep -q ' DONE ' "$WORK/out.log" && { echo "error: the importing runner ran a step:" >&2; grep -B1 ' DONE ' "$WORK/out.log" >&2; exit 1; }
  if [ "$round" -eq 0 ]; then echo "    warm-up: warm $w ms, cold import $c ms" >&2; continue; fi
  echo "    run $round: warm local rebuild $w ms, empty runner importing the cache $c ms" >&2
  warm+=("$w") cold+=("$c")
done

blobs() { find "$WORK/registry/data" -path '*/blobs/sha256/*' -name data | wc -l; }
before=$(blobs)
export_ms=$(timed csb "$WORK/root-a" build --progress=plain -t app:1 --cache-to "type=registry,ref=$CACHE_REF,mode=max" "$WORK/ctx")
written=$(sed -n 's/.* \([0-9]*\) blobs written.*/\1/p' "$WORK/out.log")
after=$(blobs)

warm_median=$(median "${warm[@]}") cold_median=$(median "${cold[@]}")
ratio=$(python3 -c "print(f'{$cold_median / $warm_median:.2f}')")
report=$(cat <<MD
## Shared cache (bench/cache-import.sh, $(date -u +%Y-%m-%d))

Two-stage app, 2,000 files / 40 MB context, mode=max cache in a loopback docker-registry; $RUNS runs after a warm-up;
$(nproc) cores, $(uname -r).

| measure | median |
|---|---|
| warm local rebuild (runner A, nothing changed) | $warm_median ms |
| empty runner B importing the cache (every step a hit) | $cold_median ms |
| ratio (target < 2x) | ${ratio}x |
| second export, nothing changed: blobs written by csbuild / new blobs in the registry | $written / $((after - before)) (build + export $export_ms ms) |
MD
)
echo "$report"
if [ -n "$OUTPUT" ] && [ "$OUTPUT" != "-" ]; then echo "$report" > "$OUTPUT"; fi
