# A loopback registry for the push scenario (Debian's docker-registry, the CNCF distribution server), sourced by
# bench/run.sh: plain HTTP on 127.0.0.1 (docker treats 127.0.0.0/8 as insecure by default), storage under $WORK.

REGISTRY_PID=""
REGISTRY_PORT=""

registry_start() {
  REGISTRY_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  registry_restart_empty
}

# Stops the registry if it runs and starts it again on the same port with empty storage.
registry_restart_empty() {
  registry_stop
  rm -rf "$WORK/registry"
  mkdir -p "$WORK/registry"
  cat > "$WORK/registry/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/registry/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$REGISTRY_PORT}
YAML
  docker-registry serve "$WORK/registry/config.yml" > "$WORK/registry/log" 2>&1 &
  REGISTRY_PID=$!
  local i
  for i in $(seq 100); do
    curl -fs "http://127.0.0.1:$REGISTRY_PORT/v2/" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "error: docker-registry did not answer on 127.0.0.1:$REGISTRY_PORT:" >&2
  cat "$WORK/registry/log" >&2
  exit 3
}

registry_stop() {
  [ -n "$REGISTRY_PID" ] || return 0
  kill "$REGISTRY_PID" 2>/dev/null || true
  wait "$REGISTRY_PID" 2>/dev/null || true
  REGISTRY_PID=""
}

# Fails the run unless the registry serves the manifest of REPO:TAG (the proof that a push completed).
registry_has_manifest() {
  curl -fs -o /dev/null \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
    "http://127.0.0.1:$REGISTRY_PORT/v2/$1/manifests/$2" && return 0
  echo "error: after the push, the registry has no manifest for $1:$2" >&2
  exit 1
}
