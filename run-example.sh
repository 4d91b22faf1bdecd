#!/usr/bin/env bash
# Quick start, command 1: builds csbuild and then examples/hello into the image hello:latest.
# Offline-friendly: the base image is made from Debian's busybox-static, not pulled.
source "$(dirname "$0")/scripts/common.sh"

ensure_packages runc busybox-static
build_csbuild

ROOT="${CSBUILD_ROOT:-/var/lib/csbuild}"
if ! "$CSBUILD_BIN" images --root "$ROOT" | grep -q '^busybox  *latest'; then
  echo "==> making the base image busybox:latest from busybox-static"
  tarball="$(mktemp --suffix=.tar)"
  make_busybox_rootfs_tar "$tarball"
  "$CSBUILD_BIN" import --root "$ROOT" "$tarball" busybox:latest
  rm -f "$tarball"
fi

echo "==> csbuild -t hello:latest examples/hello"
"$CSBUILD_BIN" build --root "$ROOT" --progress=plain -t hello:latest "$REPO_ROOT/examples/hello"

cat <<INFO

Built hello:latest into the local store at $ROOT (an OCI image layout).
  list it:     $CSBUILD_BIN images --root $ROOT
  inspect it:  skopeo inspect oci:$ROOT:hello:latest
  run it:      umoci unpack --image $ROOT:hello:latest /tmp/hello-bundle && runc run -b /tmp/hello-bundle hello
INFO
