#!/usr/bin/env bash
# Quick start, command 2: installs what the tests need, then runs every test of the solution.
source "$(dirname "$0")/scripts/common.sh"

ensure_packages runc busybox-static docker-registry skopeo umoci zstd apache2-utils git bzip2 xz-utils tar bsdutils
cd "$REPO_ROOT"
dotnet test Builder.sln --nologo "$@"
