#!/usr/bin/env bash
# Quick start, command 2: installs what the tests need, builds the csbuild program users run, then runs every test of
# the solution against that program (CSBUILD_BIN; see tests/Csbuild.TestSupport/CsbuildExecutable.cs).
source "$(dirname "$0")/scripts/common.sh"

ensure_packages runc busybox-static docker-registry skopeo umoci zstd libisal2 apache2-utils git bzip2 xz-utils tar bsdutils
build_csbuild
export CSBUILD_BIN
cd "$REPO_ROOT"
dotnet test Builder.sln --nologo "$@"
