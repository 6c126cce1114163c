#!/usr/bin/env bash
# The chat page's tests (docs/web.md): the codec against the protocol vectors
# and the session in fake time (Node), then the page in Debian's Chromium
# against the real chatd (CHATD_BINARY) and terminal client (CHAT_BINARY).
# Without /usr/bin/chromium the run is skipped (exit 77) unless CI is set.
set -euo pipefail
cd "$(dirname "$0")"

chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]] || ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [[ -z ${CI:-} ]]; then
    echo "run.sh: needs $chromium, node and npm (scripts/install-deps.sh --test): skipped"
    exit 77
  fi
  echo "run.sh: $chromium, node or npm missing, and CI is set" >&2
  exit 1
fi
: "${CHATD_BINARY:?run.sh: set CHATD_BINARY to the chatd binary}"
export CHATD_BINARY CHAT_BINARY CHROMIUM="$chromium"

# playwright-core only, from the lockfile; it never downloads a browser.
if [[ ! -d node_modules/playwright-core ]]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi

exec node --test protocol.test.mjs session.test.mjs chat.test.mjs
