# Shared by run-example.sh and test.sh: package installs and the csbuild binary.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CSBUILD_BIN="${CSBUILD_BIN:-$REPO_ROOT/.artifacts/csbuild/csbuild}"

# Installs the Debian packages that are missing, saying which; needs root (apt-get).
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: these packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 3
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# Builds csbuild into .artifacts/csbuild (incremental: fast when nothing changed). On x86_64 and aarch64 it is a native
# (ahead-of-time compiled) program: a build that hits the cache is mostly process start-up, and native code starts in
# milliseconds where the JIT needs ~150 ms. The AOT compiler links with the system C toolchain (gcc, libc6-dev,
# zlib1g-dev). Elsewhere it is the framework-dependent program (`dotnet` runs it through its apphost).
build_csbuild() {
  if [ "$CSBUILD_BIN" != "$REPO_ROOT/.artifacts/csbuild/csbuild" ]; then return 0; fi # a given binary is used as it is
  local rid
  case "$(uname -m)" in x86_64) rid=linux-x64 ;; aarch64) rid=linux-arm64 ;; *) rid="" ;; esac
  [ -z "$rid" ] || ensure_packages gcc libc6-dev zlib1g-dev
  echo "==> building csbuild${rid:+ (native, $rid)}"
  dotnet publish "$REPO_ROOT/cli/Csbuild.Cli.csproj" -c Release -o "$REPO_ROOT/.artifacts/csbuild" --nologo -v quiet \
    ${rid:+-r "$rid" -p:PublishAot=true} >/dev/null
}

# Writes a busybox root filesystem tarball (from Debian's busybox-static) to $1.
make_busybox_rootfs_tar() {
  local out="$1" dir
  dir="$(mktemp -d)"
  mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root" "$dir/home" "$dir/proc" "$dir/sys" "$dir/dev"
  cp /bin/busybox "$dir/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$dir/etc/group"
  chmod 1777 "$dir/tmp"
  chmod 0700 "$dir/root"
  tar --numeric-owner --owner=0 --group=0 --sort=name --mtime='2024-01-01 00:00:00Z' -C "$dir" -cf "$out" .
  rm -rf "$dir"
}
