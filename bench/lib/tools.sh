# The three builders behind one interface, sourced by bench/run.sh (which has sourced bench/setup.sh).
#   csbuild   .artifacts/csbuild/csbuild with its own --root under the work directory
#   buildkit  Debian's dockerd (private instance, see setup.sh) with DOCKER_BUILDKIT=1, builds with --network=host
#   buildah   buildah bud --layers with runc (crun refuses this hybrid cgroup host) on its own overlay storage
# Every tool gets busybox:latest from the same rootfs tarball ($BASE_TAR), never from a registry.

export DOCKER_HOST="$BENCH_DOCKER_HOST" DOCKER_CONFIG="$BENCH_STATE/docker-client" DOCKER_BUILDKIT=1
export BUILDAH_RUNTIME=runc
# An empty client config of our own: docker writes nothing to ~/.docker, and buildah (which also reads
# $DOCKER_CONFIG/config.json as its auth file, and fails if it is missing) finds one.
mkdir -p "$DOCKER_CONFIG"
[ -f "$DOCKER_CONFIG/config.json" ] || echo '{"auths": {}}' > "$DOCKER_CONFIG/config.json"
BUILDAH=("$BUILDAH_BIN" --root "$BENCH_STATE/buildah" --runroot "$BENCH_RUN/buildah" --storage-driver=overlay)
CSBUILD_ROOT_DIR="$WORK/csbuild-root"
CSBUILD=("$CSBUILD_BIN" --root "$CSBUILD_ROOT_DIR")

# Says why a peer cannot run (nothing when it can).
tool_missing() {
  case "$1" in
    csbuild) [ -x "$CSBUILD_BIN" ] || echo "$CSBUILD_BIN not built" ;;
    buildkit) [ -x /usr/sbin/dockerd ] && [ -x "$DOCKER_BIN" ] || echo "docker.io not installed (bench/setup.sh)" ;;
    buildah) [ -x "$BUILDAH_BIN" ] || echo "buildah not installed (bench/setup.sh)" ;;
    *) echo "unknown tool" ;;
  esac
}

tool_version() {
  case "$1" in
    csbuild) "$CSBUILD_BIN" --version 2>/dev/null | head -1 ;;
    buildkit) echo "docker $("$DOCKER_BIN" version --format '{{.Server.Version}}' 2>/dev/null) (built-in BuildKit), containerd $(dpkg-query -W -f='${Version}' containerd 2>/dev/null)" ;;
    buildah) "$BUILDAH_BIN" version 2>/dev/null | awk '/^Version:/ {print $2}' ;;
  esac
}

# Back to a store holding only busybox:latest: no images built before, no build cache.
tool_fresh() {
  case "$1" in
    csbuild)
      rm -rf "$CSBUILD_ROOT_DIR"
      "${CSBUILD[@]}" import "$BASE_TAR" busybox:latest >/dev/null ;;
    buildkit)
      local ids
      ids="$("$DOCKER_BIN" image ls -aq)"
      [ -z "$ids" ] || "$DOCKER_BIN" image rm -f $ids >/dev/null 2>&1 || true
      "$DOCKER_BIN" builder prune -af >/dev/null
      "$DOCKER_BIN" import "$BASE_TAR" busybox:latest >/dev/null ;;
    buildah)
      "${BUILDAH[@]}" rm --all >/dev/null
      "${BUILDAH[@]}" rmi --all --force >/dev/null 2>&1 || true
      # buildah 1.28 has no `import`: a scratch container gets the tarball (buildah add unpacks archives) and is committed.
      local ctr
      ctr="$("${BUILDAH[@]}" from scratch)"
      "${BUILDAH[@]}" add "$ctr" "$BASE_TAR" / >/dev/null
      "${BUILDAH[@]}" commit --quiet "$ctr" busybox:latest >/dev/null
      "${BUILDAH[@]}" rm "$ctr" >/dev/null ;;
  esac
}

# Prints the build command (one word a line) of tool $1 for context $2, tag $3, iidfile $4, extra flags after.
tool_build_cmd() {
  local tool="$1" ctx="$2" tag="$3" iid="$4"
  shift 4
  case "$tool" in
    csbuild) printf '%s\n' "${CSBUILD[@]}" build --progress=plain --iidfile "$iid" -t "$tag" "$@" "$ctx" ;;
    buildkit) printf '%s\n' "$DOCKER_BIN" build --network=host --progress=plain --iidfile "$iid" -t "$tag" "$@" "$ctx" ;;
    buildah) printf '%s\n' "${BUILDAH[@]}" bud --layers --network=host --pull-never --iidfile "$iid" -t "$tag" "$@" "$ctx" ;;
  esac
}

# Prints the push command of tool $1 for local image $2 to registry reference $3 (127.0.0.1:PORT/repo:tag).
tool_push_cmd() {
  local tool="$1" image="$2" dest="$3"
  case "$tool" in
    csbuild) printf '%s\n' "${CSBUILD[@]}" push --insecure-registry "${dest%%/*}" "$image" "$dest" ;;
    buildkit) printf '%s\n' "$DOCKER_BIN" push "$dest" ;; # docker pushes by name: tool_push_prepare tags it first
    buildah) printf '%s\n' "${BUILDAH[@]}" push --tls-verify=false "$image" "docker://$dest" ;;
  esac
}

tool_push_prepare() {
  [ "$1" != buildkit ] || "$DOCKER_BIN" tag "$2" "$3"
}
