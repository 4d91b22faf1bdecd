#!/usr/bin/env bash
# Peers of the side-by-side benchmark (bench/run.sh), all from Debian packages and kept apart from the host's own:
#   bench/setup.sh [install]   installs docker.io (dockerd with its built-in BuildKit), buildah, docker-registry, time
#   bench/setup.sh start       starts a private dockerd (data under /var/lib/csbuild-bench/docker, socket under
#                              /run/csbuild-bench) and prints the DOCKER_HOST to use
#   bench/setup.sh stop        stops that dockerd (and the containerd it started)
#   bench/setup.sh status      says whether it runs
#   bench/setup.sh purge       stops it and deletes /var/lib/csbuild-bench (peer stores, cached contexts)
# bench/run.sh calls start and stop itself; nothing here touches /var/lib/docker, /var/lib/containers or ~/.docker.
# The functions below are also sourced by bench/run.sh (BENCH_SETUP_SOURCED=1).
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

BENCH_STATE="${BENCH_STATE:-/var/lib/csbuild-bench}"
BENCH_RUN="${BENCH_RUN:-/run/csbuild-bench}"
DOCKER_BIN=/usr/bin/docker # Debian's client; another docker on PATH (e.g. /usr/local/bin) may not match this daemon
BUILDAH_BIN=/usr/bin/buildah
BENCH_DOCKER_HOST="unix://$BENCH_RUN/docker.sock"

bench_install() {
  ensure_packages runc busybox-static docker-registry time python3 curl docker.io buildah libisal2
}

dockerd_running() {
  [ -f "$BENCH_RUN/dockerd.pid" ] && kill -0 "$(cat "$BENCH_RUN/dockerd.pid")" 2>/dev/null
}

# dockerd as the issue asks: no iptables, no bridge (builds use --network=host), its own data and exec roots, and an
# empty config file so /etc/docker/daemon.json cannot change the setup. With no system containerd running, dockerd
# starts and later stops its own, under the same roots.
bench_start_dockerd() {
  [ -x /usr/sbin/dockerd ] || { echo "error: dockerd is not installed (run bench/setup.sh)" >&2; return 3; }
  if dockerd_running; then return 0; fi
  mkdir -p "$BENCH_STATE/docker" "$BENCH_RUN/docker-exec" "$BENCH_STATE/docker-client"
  echo '{}' > "$BENCH_STATE/dockerd.json"
  /usr/sbin/dockerd --config-file "$BENCH_STATE/dockerd.json" \
    --data-root "$BENCH_STATE/docker" --exec-root "$BENCH_RUN/docker-exec" \
    --pidfile "$BENCH_RUN/dockerd.pid" -H "$BENCH_DOCKER_HOST" \
    --iptables=false --ip6tables=false --bridge=none --ip-forward=false --ip-masq=false \
    > "$BENCH_STATE/dockerd.log" 2>&1 &
  local i
  for i in $(seq 150); do
    if DOCKER_HOST="$BENCH_DOCKER_HOST" DOCKER_CONFIG="$BENCH_STATE/docker-client" "$DOCKER_BIN" version >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  echo "error: dockerd did not come up within 30 s; its log:" >&2
  tail -20 "$BENCH_STATE/dockerd.log" >&2
  bench_stop_dockerd
  return 3
}

bench_stop_dockerd() {
  [ -f "$BENCH_RUN/dockerd.pid" ] || return 0
  local pid i
  pid="$(cat "$BENCH_RUN/dockerd.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then echo "warning: dockerd ($pid) ignored SIGTERM for 30 s; killing it" >&2; kill -KILL "$pid"; fi
  fi
  rm -f "$BENCH_RUN/dockerd.pid"
  # dockerd unmounts its overlays on a clean stop; anything left under our roots (after a kill) is unmounted here.
  grep -E " ($BENCH_STATE/docker|$BENCH_RUN/docker-exec)[ /]" /proc/self/mounts | awk '{print $2}' | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done || true
}

if [ -z "${BENCH_SETUP_SOURCED:-}" ]; then
  case "${1:-install}" in
    install) bench_install ;;
    start) bench_start_dockerd && echo "DOCKER_HOST=$BENCH_DOCKER_HOST" ;;
    stop) bench_stop_dockerd ;;
    purge)
      bench_stop_dockerd
      # buildah may leave overlay mounts of its storage behind after a killed build: unmount before deleting.
      grep -E " $BENCH_STATE/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m"; done || true
      rm -rf "$BENCH_STATE" "$BENCH_RUN" ;;
    status) if dockerd_running; then echo "dockerd running (pid $(cat "$BENCH_RUN/dockerd.pid"), $BENCH_DOCKER_HOST)"; else echo "dockerd not running"; fi ;;
    *) echo "usage: bench/setup.sh [install|start|stop|status|purge]" >&2; exit 2 ;;
  esac
fi
