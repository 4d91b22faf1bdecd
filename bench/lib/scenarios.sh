# The scenarios of bench/run.sh, sourced by it. Each NAME has NAME_setup TOOL (once per tool, on a fresh store) and
# NAME_round TOOL ROUND (one timed run; rounds up to $WARMUP are warm-ups). They time commands with `measure` and
# use $CTX (the generated context), $LABEL (the row name) and the helpers of run.sh.

# --- noop: two-stage Dockerfile, 2,000-file 40 MB context, rebuilt with nothing changed -------------------------------
noop_setup() { build_once "$1" bench-noop:1; }
noop_round() { timed_build "$LABEL" "$1" "$2" bench-noop:1 all-cached; }

# --- mtime: as noop, after one file's mtime changed (content kept): must still be a full cache hit -------------------
mtime_setup() { build_once "$1" bench-noop:1; }
mtime_round() {
  touch "$CTX/src/pkg07/file0700.txt"
  timed_build "$LABEL" "$1" "$2" bench-noop:1 all-cached
}

# --- touch: as noop, after one file's content changed: the COPY of src/ and the RUN after it re-run -------------------
touch_setup() { build_once "$1" bench-noop:1; }
touch_round() {
  # A new content every time (a counter), so each tool sees a change since its own last build; same size as before.
  TOUCH_COUNTER=$((${TOUCH_COUNTER:-0} + 1))
  python3 -c 'import random,sys; open(sys.argv[1],"wb").write(random.Random(int(sys.argv[2])).randbytes(20000))' \
    "$CTX/src/pkg07/file0700.txt" "$((1000 + TOUCH_COUNTER))"
  timed_build "$LABEL" "$1" "$2" bench-noop:1 some-ran
}

# --- runs: ten small RUN steps with --no-cache (per-step overhead) -------------------------------------------------
runs_setup() { :; }
runs_round() { timed_build "$LABEL" "$1" "$2" bench-runs:1 some-ran --no-cache; }

# --- big: COPY of a 300 MB directory (x scale), cold: every tool's store is reset before each run ----------------------
big_setup() { :; }
big_round() {
  tool_fresh "$1" # the files stay in the page cache: this measures the builders, not the disk
  timed_build "$LABEL" "$1" "$2" bench-big:1 some-ran
}

# --- context10k: 10,000 small files (x scale), rebuilt with nothing changed -------------------------------------------
context10k_setup() { build_once "$1" bench-ctx:1; }
context10k_round() { timed_build "$LABEL" "$1" "$2" bench-ctx:1 all-cached; }

# --- push: the big image to an empty loopback registry, then the same push again (reported as "push (2nd)"); the first
# push includes compressing the layer for every tool --------------------------------------------------------------------
push_setup() { build_once "$1" bench-big:1; }
push_round() {
  local tool="$1" round="$2" dest="127.0.0.1:$REGISTRY_PORT/bench/big:$1"
  registry_restart_empty # every first push starts from an empty registry: no blob of another tool or run to mount
  # csbuild keeps the gzip copies of the layers it pushed; docker and buildah compress anew on every push. A freshly
  # built store makes each timed csbuild push compress its layers too, as the first push after a build does.
  if [ "$tool" = csbuild ]; then tool_fresh csbuild; build_once csbuild bench-big:1; fi
  tool_push_prepare "$tool" bench-big:1 "$dest"
  local cmd
  mapfile -t cmd < <(tool_push_cmd "$tool" bench-big:1 "$dest")
  measure "$LABEL" "$tool" "$round" "${cmd[@]}"
  registry_has_manifest bench/big "$tool"
  measure "$LABEL (2nd)" "$tool" "$round" "${cmd[@]}"
  registry_has_manifest bench/big "$tool"
}
