#!/usr/bin/env bash
# The clang_build test (tests/CMakeLists.txt): builds heed's library, dist/ and the heed command with
# clang++ (warnings as errors, no optimisation: the front end is what is checked, and it is
# quicker) in the folder $2, from the sources in $1.
# clang 14 (Debian 12's) is the oldest clang heed supports: it lacks some C++20 rules that GCC 12
# has (a lambda cannot capture a structured binding), which is why this test exists.
set -euo pipefail
source_dir=$1 build_dir=$2
command -v clang++ >/dev/null || { echo "clang_build: clang++ is missing; scripts/setup installs it" >&2; exit 1; }
mkdir -p "$build_dir"
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  CXX=clang++ cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE= -DHEED_WERROR=ON -DHEED_NATIVE=OFF \
    -DHEED_BUILD_TESTS=OFF -DHEED_BUILD_BENCH=OFF >"$build_dir/configure.log" 2>&1 ||
    { cat "$build_dir/configure.log"; exit 1; }
fi
if ! cmake --build "$build_dir" -j "$(nproc)" --target heed heed_cli >"$build_dir/build.log" 2>&1; then
  grep -v '^\[' "$build_dir/build.log" | head -200
  echo "clang_build: the clang build failed (the whole log: $build_dir/build.log)" >&2
  exit 1
fi
echo "clang_build: heed, dist/ and the heed command compile warning-free with $(clang++ --version | head -1)"
