#!/usr/bin/env bash
# Rebuild benchmarks of the solver/cache issue: a two-stage Dockerfile over a 2,000-file, 40 MB context.
#   noop   rebuild with nothing changed            (target: < 150 ms wall time)
#   touch  rebuild after touching one file's mtime (target: a full cache hit)
# Usage: bench/rebuild.sh [RUNS]   (needs root for the RUN step; uses the Release build of csbuild)
source "$(dirname "$0")/../scripts/common.sh"
RUNS="${1:-10}"

ensure_packages runc busybox-static
build_csbuild
work="$(mktemp -d /tmp/csbuild-bench-XXXX)"
trap 'rm -rf "$work"' EXIT
ROOT="$work/root"

# Deterministic context: 2,000 files of 20 kB each (40 MB), content from a fixed seed.
python3 - "$work/ctx" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(42)
for i in range(2000):
    d = os.path.join(root, "src", f"pkg{i // 100:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"file{i:04d}.txt"), "wb") as f:
        f.write(rng.randbytes(20_000))
with open(os.path.join(root, "Dockerfile"), "w") as f:
    f.write("FROM busybox:latest AS build\nWORKDIR /src\nCOPY src/ ./\nRUN find . -type f | wc -l > /count\n\n"
            "FROM busybox:latest\nCOPY --from=build /count /count\nCOPY src/pkg00 /app/pkg00\nCMD [\"cat\", \"/count\"]\n")
PY

tarball="$work/busybox.tar"
make_busybox_rootfs_tar "$tarball"
"$CSBUILD_BIN" import --root "$ROOT" "$tarball" busybox:latest >/dev/null
"$CSBUILD_BIN" build --root "$ROOT" --progress=quiet -t bench:1 "$work/ctx" >/dev/null

measure() { # prints the median wall time in ms of RUNS rebuilds; $1 = command run before each build
  local times=()
  for _ in $(seq "$RUNS"); do
    eval "$1"
    local t0 t1
    t0=$(date +%s%N)
    "$CSBUILD_BIN" build --root "$ROOT" --progress=plain -t bench:1 "$work/ctx" > "$work/out.log" 2>&1
    t1=$(date +%s%N)
    if grep -q ' DONE ' "$work/out.log"; then echo "error: a step ran; the rebuild was not a full cache hit" >&2; cat "$work/out.log" >&2; exit 1; fi
    times+=($(( (t1 - t0) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

echo "scenario  median_ms  runs"
echo "noop      $(measure ':')  $RUNS"
echo "touch     $(measure 'touch "$work/ctx/src/pkg07/file0700.txt"')  $RUNS"
