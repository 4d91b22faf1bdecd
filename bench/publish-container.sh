#!/usr/bin/env bash
# PublishContainer benchmark (issue 8): how long the container step of `dotnet publish -t:PublishContainer` (to a
# tarball) takes for the .NET SDK's own container target and for Csbuild.Containers, side by side on the same ASP.NET app
# and the same base image (busybox + this machine's .NET runtime, served by a local docker-registry).
#   first   first container publish (empty caches: the SDK's base image cache, a fresh csbuild root)
#   noop    container publish again with nothing changed
#   change  container publish after a one-line code change (compiled by a plain publish first, not counted)
# Measured: the container tasks' time from MSBuild's performance summary (SDK: CreateNewImage + ComputeDotnetBaseImageAndTag
# + ParseContainerProperties; csbuild: CreateContainerImage + InferContainerBaseImage), which includes loading the task
# assemblies; and the wall time of the whole container publish. Medians over RUNS, the two variants run alternately so
# both see the same machine load.
# Usage: bench/publish-container.sh [RUNS]   (BENCH_KEEP=1 keeps the work directory for a closer look)
source "$(dirname "$0")/../scripts/common.sh"
RUNS="${1:-5}"

ensure_packages docker-registry skopeo umoci busybox-static
work="$(mktemp -d /tmp/csbuild-bench-publish-XXXX)"
registry_pid=""
cleanup() { [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 NUGET_PACKAGES="$work/packages"
export CSBUILD_ROOT="$work/csbuild-root"
export XDG_CACHE_HOME="$work/xdg-cache" # the SDK keeps its base image layers in $XDG_CACHE_HOME/dotnet/Containers

build_csbuild # the package carries the native csbuild, which pulls base images (msbuild-tasks/Image/NativeBasePull.cs)
echo "==> packing Csbuild.Containers"
dotnet pack "$REPO_ROOT/msbuild-tasks/Csbuild.Containers.csproj" -c Release -o "$work/feed" --artifacts-path "$work/pack" \
  --disable-build-servers -v quiet "-p:CsbuildNativeBinary=$CSBUILD_BIN" > "$work/pack.log" 2>&1 || { cat "$work/pack.log" >&2; exit 1; }

echo "==> base image: busybox + the host's .NET runtime"
rootfs="$work/rootfs"
make_busybox_rootfs_tar "$work/busybox.tar"
mkdir -p "$rootfs/usr/share/dotnet" "$rootfs/usr/bin"
tar -C "$rootfs" -xf "$work/busybox.tar"
cp -a /usr/share/dotnet/dotnet /usr/share/dotnet/host /usr/share/dotnet/shared "$rootfs/usr/share/dotnet/"
ln -sf /usr/share/dotnet/dotnet "$rootfs/usr/bin/dotnet"
for lib in $(find /usr/share/dotnet/dotnet /usr/share/dotnet/host /usr/share/dotnet/shared -name dotnet -o -name '*.so' | xargs ldd 2>/dev/null \
             | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u); do
  case "$lib" in /usr/share/dotnet/*) continue ;; esac
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
tar --numeric-owner --owner=0 --group=0 --sort=name --mtime='2024-01-01 00:00:00Z' -C "$rootfs" -czf "$work/rootfs.tar.gz" .
umoci init --layout "$work/base-layout" >/dev/null
umoci new --image "$work/base-layout:base" >/dev/null
umoci raw add-layer --image "$work/base-layout:base" "$work/rootfs.tar.gz" >/dev/null
umoci config --image "$work/base-layout:base" --config.env DOTNET_ROOT=/usr/share/dotnet \
  --config.env DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 --config.env PATH=/usr/bin:/bin >/dev/null

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$work/registry"
cat > "$work/registry/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/registry/data}}
http: {addr: 127.0.0.1:$port}
YAML
docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.2; done
base="127.0.0.1:$port/dotnet-base:10"
export DOTNET_CONTAINER_INSECURE_REGISTRIES="127.0.0.1:$port" # the SDK speaks HTTPS to loopback unless told
skopeo copy --quiet --dest-tls-verify=false "oci:$work/base-layout:base" "docker://$base"

echo "==> two copies of one ASP.NET app: sdk/ (the SDK's target) and csbuild/ (with the package)"
write_app() { # $1 = dir, $2 = extra PackageReference line
  mkdir -p "$1"
  cat > "$1/nuget.config" <<XML
<configuration><packageSources><add key="local" value="$work/feed" /></packageSources></configuration>
XML
  cat > "$1/BenchWeb.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <InvariantGlobalization>true</InvariantGlobalization>
    <ContainerBaseImage>$base</ContainerBaseImage>
    <ContainerRepository>bench-web</ContainerRepository>
    <ContainerArchiveOutputPath>$1/out/image.tar.gz</ContainerArchiveOutputPath>
  </PropertyGroup>
  <ItemGroup>$2</ItemGroup>
</Project>
XML
  set_code "$1" "hello"
}
set_code() { printf 'var app = WebApplication.CreateBuilder(args).Build();\napp.MapGet("/", () => "%s");\napp.Run();\n' "$2" > "$1/Program.cs"; }
write_app "$work/sdk" ""
write_app "$work/csbuild" '<PackageReference Include="Csbuild.Containers" Version="0.1.0" />'

publish() { # $1 = dir, rest = extra args; leaves the log in $work/publish.log
  if ! dotnet publish "$1/BenchWeb.csproj" -c Release --disable-build-servers -v quiet -clp:PerformanceSummary "${@:2}" > "$work/publish.log" 2>&1; then
    cat "$work/publish.log" >&2; exit 1
  fi
}
task_ms() { # the container tasks' time in the last publish
  grep -E '^ +[0-9]+ ms +(CreateNewImage|ComputeDotnetBaseImageAndTag|ParseContainerProperties|CreateContainerImage|InferContainerBaseImage) ' \
    "$work/publish.log" | awk '{s += $1} END {print s + 0}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
sdk_cache() { echo "$XDG_CACHE_HOME/dotnet/Containers"; } # the SDK's base image content store

for v in sdk csbuild; do publish "$work/$v"; done # restore and first compile, not measured

declare -A tasks wall
for scenario in first noop change; do
  declare -A samples_t=() samples_w=()
  for i in $(seq "$RUNS"); do
    for v in sdk csbuild; do
      dir="$work/$v"
      case "$scenario" in
        first) rm -rf "$(sdk_cache)" "$CSBUILD_ROOT" "$dir/out" "$dir/obj/Release/net10.0/csbuild-container-archive.txt" ;;
        change) set_code "$dir" "hello $i"; publish "$dir" ;;
      esac
      t0=$(date +%s%N)
      publish "$dir" -t:PublishContainer
      t1=$(date +%s%N)
      [ -s "$dir/out/image.tar.gz" ] || { echo "error: $v produced no archive" >&2; exit 1; }
      samples_t[$v]+="$(task_ms) "
      samples_w[$v]+="$(( (t1 - t0) / 1000000 )) "
    done
  done
  for v in sdk csbuild; do
    tasks[$v,$scenario]=$(printf '%s\n' ${samples_t[$v]} | median)
    wall[$v,$scenario]=$(printf '%s\n' ${samples_w[$v]} | median)
  done
  unset samples_t samples_w
done

# Where csbuild's time goes on a cold start (not timed above: normal verbosity logs each phase with its duration).
rm -rf "$CSBUILD_ROOT" "$work/csbuild/out" "$work/csbuild/obj/Release/net10.0/csbuild-container-archive.txt"
if dotnet publish "$work/csbuild/BenchWeb.csproj" -c Release --disable-build-servers -v:n -t:PublishContainer > "$work/phases.log" 2>&1; then
  echo "csbuild phases, first publish:"
  grep -E '^ +csbuild: ' "$work/phases.log" | sed -E -e 's/^ +csbuild: /  /' -e 's/sha256:[0-9a-f]{64}/sha256:…/g'
fi

echo "scenario  sdk_task_ms  csbuild_task_ms  sdk_publish_ms  csbuild_publish_ms  runs"
for scenario in first noop change; do
  printf '%-8s  %11s  %15s  %14s  %18s  %4s\n' "$scenario" "${tasks[sdk,$scenario]}" "${tasks[csbuild,$scenario]}" \
    "${wall[sdk,$scenario]}" "${wall[csbuild,$scenario]}" "$RUNS"
done
