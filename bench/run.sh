#!/usr/bin/env bash
# Side-by-side build benchmark (issue 9): csbuild against BuildKit (Debian's dockerd) and buildah, on generated
# contexts, the same busybox base image for every tool, no network. Prints a markdown table of medians, the
# csbuild/peer ratios against the targets and csbuild's peak RSS, and writes it to bench/results/DATE.md.
#
# usage: bench/run.sh [options]        (as root; install the peers first with bench/setup.sh)
#   --scenarios LIST   comma-separated, from: noop,touch,mtime,runs,big,push,context10k (default: all of them)
#   --against LIST     peers: buildkit,buildah (default: both; those not installed are skipped), or none
#   --runs N           timed runs per tool and scenario (default 5), after --warmup N untimed ones (default 1)
#   --scale LIST       sizes of big and context10k, e.g. 1,4,16 (default 1; 16 needs ~30 GB of disk and patience)
#   --note TEXT        a line for the report (e.g. "taken on a busy machine")
#   --output FILE      where the report goes (default bench/results/YYYY-MM-DD.md, -N added if taken); - for none
#   --keep             keep the work directory (stores, registry, logs) under /var/lib/csbuild-bench
# Tools run alternately (the order rotates every round), so drifting machine load spreads over all of them.
# Generated contexts are cached in /var/lib/csbuild-bench/contexts (regenerated when generate.py changes).
# CSBUILD_BIN=path uses a given csbuild binary instead of building .artifacts/csbuild/csbuild.
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
BENCH_SETUP_SOURCED=1 source "$BENCH_DIR/setup.sh"

SCENARIOS="noop,touch,mtime,runs,big,push,context10k"
AGAINST="buildkit,buildah"
RUNS=5 WARMUP=1 SCALES=1 NOTE="" OUTPUT="" KEEP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --scenarios) SCENARIOS="$2"; shift 2 ;;
    --against) AGAINST="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --scale) SCALES="$2"; shift 2 ;;
    --note) NOTE="$2"; shift 2 ;;
    --output) OUTPUT="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^BENCH_DIR/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for s in ${SCENARIOS//,/ }; do
  case "$s" in noop|touch|mtime|runs|big|push|context10k) ;; *) echo "error: unknown scenario $s" >&2; exit 2 ;; esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ && "$WARMUP" =~ ^[0-9]+$ && "$SCALES" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] ||
  { echo "error: --runs and --scale take positive integers, --warmup a non-negative one" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "error: run as root (RUN steps, dockerd, buildah storage)" >&2; exit 3; }

ensure_packages runc busybox-static docker-registry time python3 curl
build_csbuild

WORK="$BENCH_STATE/work-$$"
RESULTS_TSV="$WORK/results.tsv"
mkdir -p "$WORK" "$BENCH_RUN"
source "$BENCH_DIR/lib/tools.sh"
source "$BENCH_DIR/lib/registry.sh"
source "$BENCH_DIR/lib/scenarios.sh"

TOOLS=(csbuild)
SKIPPED=()
for peer in ${AGAINST//,/ }; do
  [ "$peer" = none ] && continue
  case "$peer" in buildkit|buildah) ;; *) echo "error: unknown peer $peer (buildkit, buildah or none)" >&2; exit 2 ;; esac
  why="$(tool_missing "$peer")"
  if [ -n "$why" ]; then echo "==> skipping $peer: $why" >&2; SKIPPED+=("$peer: $why"); else TOOLS+=("$peer"); fi
done

STARTED_DOCKERD=""
cleanup() {
  local rc=$?
  registry_stop
  if [ -n "$STARTED_DOCKERD" ] || [[ " ${TOOLS[*]} " == *" buildah "* ]]; then
    echo "==> cleaning up: peer stores back to the base image" >&2
    local t
    for t in "${TOOLS[@]}"; do [ "$t" = csbuild ] || tool_fresh "$t" >/dev/null 2>&1 || true; done
  fi
  [ -z "$STARTED_DOCKERD" ] || bench_stop_dockerd
  if [ -z "$KEEP" ]; then rm -rf "$WORK"; else echo "==> work directory kept: $WORK" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ " ${TOOLS[*]} " == *" buildkit "* ]] && ! dockerd_running; then
  echo "==> starting dockerd ($BENCH_DOCKER_HOST)" >&2
  STARTED_DOCKERD=1
  bench_start_dockerd
fi

BASE_TAR="$WORK/busybox-rootfs.tar"
make_busybox_rootfs_tar "$BASE_TAR"

# --- helpers used by the scenarios ------------------------------------------------------------------------------------

# The generated context of KIND at SCALE, made once and cached (keyed by the generator's own hash).
context_dir() {
  local kind="$1" scale="$2" dir stamp
  dir="$BENCH_STATE/contexts/$kind-${scale}x"
  stamp="$(sha256sum "$BENCH_DIR/lib/generate.py" | cut -c1-16)"
  if [ "$(cat "$dir/.generator" 2>/dev/null)" != "$stamp" ]; then
    echo "==> generating the $kind context at ${scale}x" >&2
    rm -rf "$dir" "$dir.tmp"
    python3 "$BENCH_DIR/lib/generate.py" "$kind" "$scale" "$dir.tmp"
    echo "$stamp" > "$dir.tmp/.generator"
    mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

# Runs a command, timing its wall clock and (through /usr/bin/time, for every tool alike) its peak RSS; records both
# unless the round is a warm-up. A failing command stops the benchmark with its output.
measure() {
  local label="$1" tool="$2" round="$3"
  shift 3
  local t0 t1 us rss
  t0=$(date +%s%N)
  if ! /usr/bin/time -f %M -o "$WORK/rss" "$@" > "$WORK/out.log" 2>&1; then
    echo "error: $tool failed in $label: $*" >&2
    tail -40 "$WORK/out.log" >&2
    exit 1
  fi
  t1=$(date +%s%N)
  us=$(( (t1 - t0) / 1000 ))
  rss="$(tail -1 "$WORK/rss")"
  if [ "$round" -gt "$WARMUP" ]; then
    printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$tool" "$((round - WARMUP))" "$us" "$rss" >> "$RESULTS_TSV"
    printf '    %-18s %-9s run %-3s %9.1f ms  %6d MB\n' "$label" "$tool" "$((round - WARMUP))" "$(awk "BEGIN{print $us/1000}")" "$((rss / 1024))" >&2
  else
    printf '    %-18s %-9s warm-up %9.1f ms\n' "$label" "$tool" "$(awk "BEGIN{print $us/1000}")" >&2
  fi
}

# Checks that a build produced an image and, from its output, that it did the scenario's work: a full cache hit
# (all-cached) or at least one RUN/COPY/ADD step run (some-ran); `any` checks the image only.
check_build() {
  local label="$1" tool="$2" expect="$3"
  [ -s "$WORK/iid" ] || { echo "error: $tool wrote no image id in $label" >&2; tail -20 "$WORK/out.log" >&2; exit 1; }
  local why
  why="$(python3 "$BENCH_DIR/lib/check_steps.py" "$tool" "$expect" "$WORK/out.log" 2>&1)" && return 0
  if [ "$tool" = csbuild ]; then
    echo "error: in $label, $why; the build output:" >&2
    tail -60 "$WORK/out.log" >&2
    exit 1
  fi
  # A peer that caches differently did other work than csbuild: its number stays, flagged in the report.
  echo "    warning: in $label, $why" >&2
  grep -qxF "$label: $why" "$WORK/warnings" 2>/dev/null || echo "$label: $why" >> "$WORK/warnings"
}

# timed_build LABEL TOOL ROUND TAG EXPECT [build flags]
timed_build() {
  local label="$1" tool="$2" round="$3" tag="$4" expect="$5" cmd
  shift 5
  rm -f "$WORK/iid"
  mapfile -t cmd < <(tool_build_cmd "$tool" "$CTX" "$tag" "$WORK/iid" "$@")
  measure "$label" "$tool" "$round" "${cmd[@]}"
  check_build "$label" "$tool" "$expect"
}

# An untimed first build (the state a rebuild scenario starts from).
build_once() {
  local cmd
  rm -f "$WORK/iid"
  mapfile -t cmd < <(tool_build_cmd "$1" "$CTX" "$2" "$WORK/iid")
  "${cmd[@]}" > "$WORK/out.log" 2>&1 || { echo "error: first build of $LABEL failed with $1:" >&2; tail -40 "$WORK/out.log" >&2; exit 1; }
  check_build "$LABEL (first build)" "$1" any
}

run_scenario() {
  local name="$1" scale="$2" kind tool round i
  case "$name" in noop|touch|mtime) kind=rebuild ;; big|push) kind=big ;; *) kind="$name" ;; esac
  CTX="$(context_dir "$kind" "$scale")"
  if [ "$name" = touch ] || [ "$name" = mtime ]; then # these change files: work on a copy, keep the cache pristine
    rm -rf "$WORK/ctx-$name"
    cp -a "$CTX" "$WORK/ctx-$name"
    CTX="$WORK/ctx-$name"
  fi
  LABEL="$name"
  if { [ "$name" = big ] || [ "$name" = context10k ]; } && [ "$SCALES" != 1 ]; then LABEL="$name ${scale}x"; fi
  echo "==> $LABEL" >&2
  for tool in "${TOOLS[@]}"; do
    tool_fresh "$tool"
    "${name}_setup" "$tool"
  done
  for round in $(seq 1 $((WARMUP + RUNS))); do
    for i in "${!TOOLS[@]}"; do # rotate the order every round
      "${name}_round" "${TOOLS[$(( (i + round) % ${#TOOLS[@]} ))]}" "$round"
    done
  done
}

# --- the run ----------------------------------------------------------------------------------------------------------
LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"
for scenario in ${SCENARIOS//,/ }; do
  case "$scenario" in
    big|context10k) for scale in ${SCALES//,/ }; do run_scenario "$scenario" "$scale"; done ;;
    push) registry_start; run_scenario push 1 ;;
    *) run_scenario "$scenario" 1 ;;
  esac
done

{
  printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'machine\t%s cores (%s), %s GiB memory, kernel %s, %s\n' "$(nproc)" \
    "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" \
    "$(awk '/^MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)" "$(uname -r)" \
    "$(. /etc/os-release && echo "$PRETTY_NAME")"
  printf 'storage\t%s on %s\n' "$BENCH_STATE" "$(df -T "$BENCH_STATE" | awk 'NR == 2 {print $2}')"
  printf 'load\t%s (1, 5, 15 min load average at the start), %s at the end\n' "$LOAD_AT_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'runs\t%s timed runs per tool and scenario after %s warm-up, tools alternating\n' "$RUNS" "$WARMUP"
  for tool in "${TOOLS[@]}"; do printf 'version\t%s: %s\n' "$tool" "$(tool_version "$tool")"; done
  printf 'version\trunc: %s\n' "$(runc --version | head -1)"
  for s in "${SKIPPED[@]}"; do printf 'skipped\t%s\n' "$s"; done
  [ -z "$NOTE" ] || printf 'note\t%s\n' "$NOTE"
  [ ! -f "$WORK/warnings" ] || sed 's/^/warning\t/' "$WORK/warnings"
} > "$WORK/meta.tsv"

touch "$RESULTS_TSV"
python3 "$BENCH_DIR/lib/report.py" "$WORK/meta.tsv" "$RESULTS_TSV" > "$WORK/report.md"
cat "$WORK/report.md"
if [ "$OUTPUT" != - ]; then
  if [ -z "$OUTPUT" ]; then
    mkdir -p "$BENCH_DIR/results"
    OUTPUT="$BENCH_DIR/results/$(date +%F).md"
    n=2
    while [ -e "$OUTPUT" ]; do OUTPUT="$BENCH_DIR/results/$(date +%F)-$n.md"; n=$((n + 1)); done
  fi
  cp "$WORK/report.md" "$OUTPUT"
  echo "==> report written to $OUTPUT" >&2
fi
