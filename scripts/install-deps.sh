#!/usr/bin/env bash
# Installs the Debian packages chatd needs to build, run and test, skipping
# what is already present. Safe to run again; `apt-get update` runs at most
# once, and only when something is missing.
set -euo pipefail

# Build and run.
packages=(
  build-essential cmake ninja-build pkg-config ccache
  libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev libjwt-dev libssl-dev libncurses-dev
  libhttp-parser-dev libwslay-dev libhiredis-dev
)
# Tests: GoogleTest, clang for libFuzzer and the sanitizer runtimes, and
# redis-server for the chatbench peer-driver test, tmux for the chat UI test,
# prometheus (and its promtool) for the metrics tests and `make monitor`,
# chromium and nodejs/npm for the chat page's browser tests (tests/browser).
if [[ "${1:-}" == "--test" ]]; then
  packages+=(googletest libgtest-dev libgmock-dev clang libclang-rt-14-dev python3 redis-server tmux
    prometheus chromium nodejs)
  # A nodejs from elsewhere (NodeSource) bundles npm and conflicts with Debian's.
  if ! command -v npm >/dev/null; then packages+=(npm); fi
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
