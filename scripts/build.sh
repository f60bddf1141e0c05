#!/usr/bin/env bash
# Builds Tandem out of tree: build/ (normal) or, with --asan, build-asan/ (AddressSanitizer + UBSan).
# Prints the build directory on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
dir=build
flags=()
if [[ "${1:-}" == "--asan" ]]; then
	dir=build-asan
	flags=(--enable-sanitizers)
fi
if [[ ! -x configure || configure.ac -nt configure || Makefile.am -nt Makefile.in ]]; then
	autoreconf -fi >/dev/null
fi
if [[ -f config.status ]]; then
	echo "build.sh: the source tree is configured in place; run 'make distclean' first" >&2
	exit 1
fi
mkdir -p "$dir"
cd "$dir"
if [[ ! -f config.status || ../configure -nt config.status ]]; then
	"$top/configure" -q "${flags[@]}"
fi
make -j"$(nproc)" >/dev/null
echo "$top/$dir"
