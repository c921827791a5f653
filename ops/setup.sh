#!/usr/bin/env bash
# Vigil set-up: installs what Vigil needs on a fresh Debian 12 machine, idempotently.
#   bash ops/setup.sh          what running needs: ffmpeg, fonts, Node packages (npm ci)
#   bash ops/setup.sh --test   also what the tests need: chromium, promtool, PostgreSQL,
#                              and the MinIO server built from its Go module (pinned) into .bin/
# Each step says what it does; a failing step stops the script and says which and why.
# Nothing is downloaded outside Debian's packages, the npm registry and the Go module proxy.
set -euo pipefail

# MinIO's release tags are not semantic versions, so it is pinned by commit (pseudo-version).
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
NODE_MIN="20.19.0"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
want_test=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "setup: unknown option '$arg' (use --test or nothing)" >&2; exit 2 ;;
  esac
done

current_step=""
step() { current_step="$1"; echo "==> $1"; }
fail() { echo "setup: FAILED at step '$current_step': $1" >&2; exit 1; }
trap 'rc=$?; [ $rc -ne 0 ] && [ -n "$current_step" ] && echo "setup: step \"$current_step\" failed (exit $rc); see the messages above." >&2' EXIT

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    fail "this step needs root to run: $*  (run the script as root or install sudo)"; fi
}

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then echo "    already installed: $*"; return; fi
  command -v apt-get >/dev/null || fail "apt-get not found: this script expects Debian 12; install by hand: ${missing[*]}"
  if [ $apt_updated -eq 0 ]; then
    echo "    apt-get update"
    as_root apt-get update -qq || fail "apt-get update failed (is the Debian mirror reachable?)"
    apt_updated=1
  fi
  echo "    apt-get install ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed"
}

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

step "check Node.js >= $NODE_MIN"
command -v node >/dev/null || fail "node is not installed; install Node.js $NODE_MIN or later (Debian: nodejs from NodeSource or the distribution)"
node_v=$(node -v | sed 's/^v//')
version_ge "$node_v" "$NODE_MIN" || fail "Node.js $node_v is too old; Vigil needs $NODE_MIN or later"
echo "    node $node_v, npm $(npm -v)"

step "Debian packages for running: ffmpeg, fonts"
apt_install ffmpeg fonts-dejavu-core ca-certificates

if [ $want_test -eq 1 ]; then
  step "Debian packages for testing: chromium, prometheus (promtool), postgresql, iproute2"
  apt_install chromium prometheus postgresql iproute2
  # The Debian prometheus/postgresql packages may start services; the tests start their own.
fi

step "Node packages (npm ci)"
# better-sqlite3 has no prebuilt binary here: node-gyp builds it against the installed Node's headers.
node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
[ -f "$node_prefix/include/node/node.h" ] || fail "Node's headers are missing at $node_prefix/include/node (install the Node.js dev headers)"
export npm_config_nodedir="$node_prefix"
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp="node_modules/.vigil-lock-sha256"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum-$node_v" ]; then
  echo "    node_modules matches package-lock.json"
else
  npm ci --no-audit --no-fund || fail "npm ci failed (see npm's message above)"
  echo "$lock_sum-$node_v" > "$stamp"
fi
node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()" \
  || fail "better-sqlite3 does not load; rebuild with: npm_config_nodedir=$node_prefix npm rebuild better-sqlite3"

step "web UI (npm run build:web into api/web/dist)"
# Rebuilt only when a source under api/web (or package-lock.json) is newer than the last build.
web_index="api/web/dist/index.html"
if [ -f "$web_index" ] && [ -z "$(find api/web package-lock.json -path api/web/dist -prune -o -path 'api/web/.*' -prune -o -type f -newer "$web_index" -print -quit)" ]; then
  echo "    api/web/dist is newer than its sources"
else
  npm run --silent build:web || fail "the web UI build failed (see vite's message above)"
fi

if [ $want_test -eq 1 ]; then
  step "MinIO server $MINIO_VERSION built from its Go module into .bin/"
  mkdir -p .bin
  if [ -x .bin/minio ] && [ "$(cat .bin/minio.version 2>/dev/null)" = "$MINIO_VERSION" ]; then
    echo "    .bin/minio is already $MINIO_VERSION"
  else
    go_bin=$(command -v go || true)
    [ -z "$go_bin" ] && [ -x /usr/local/go/bin/go ] && go_bin=/usr/local/go/bin/go
    [ -n "$go_bin" ] || fail "Go is not installed; MinIO is built from source and needs Go 1.24 or later"
    echo "    $("$go_bin" version); this takes a few minutes the first time"
    GOBIN="$root/.bin" GOFLAGS=-mod=mod "$go_bin" install "github.com/minio/minio@$MINIO_VERSION" \
      || fail "go install github.com/minio/minio@$MINIO_VERSION failed (is the Go module proxy reachable?)"
    echo "$MINIO_VERSION" > .bin/minio.version
  fi
  .bin/minio --version >/dev/null || fail ".bin/minio does not run"
  command -v promtool >/dev/null || fail "promtool is missing although prometheus is installed"
  [ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing"
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || fail "PostgreSQL's initdb is missing"
fi

current_step=""
echo "==> set-up done"
