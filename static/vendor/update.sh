#!/usr/bin/env bash
# Re-download the pinned front-end libraries from the npm registry and copy
# the few files we ship into the tree. Nothing is installed: each package is
# fetched with `npm pack` into a throw-away temp dir (no package.json or
# node_modules ever touches the repository).
#
# Usage (from anywhere):
#   bash static/vendor/update.sh           # refresh the vendored files
#   bash static/vendor/update.sh --check   # verify the tree matches the pins; exit 1 on drift
#
# To upgrade a library: change its *_VERSION and *_INTEGRITY below (get the
# integrity with `npm view <name>@<version> dist.integrity`), run this script,
# update the version tables in static/vendor/README.md and
# tests/e2e/vendor/README.md, and review the diff.
set -euo pipefail

# --- pins -------------------------------------------------------------------
AXE_VERSION="4.14.1"
AXE_INTEGRITY="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
SIO_VERSION="4.8.4"
SIO_INTEGRITY="sha512-7wjKAvVXYOJsbmUgkWbnhPD4bFpkqrUR0++XOjpGFmqDqsqV1CI93VTraeExLxpjxEqrWgFoSRZu1ihjLWfkAA=="

# --- locations --------------------------------------------------------------
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
SIO_DEST="$REPO_ROOT/static/vendor/socket.io"
AXE_DEST="$REPO_ROOT/tests/e2e/vendor"

MODE="update"
case "${1:-}" in
  "") ;;
  --check) MODE="check" ;;
  -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}"; exit 0 ;;
  *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac

command -v npm >/dev/null || { echo "npm is required" >&2; exit 1; }
command -v node >/dev/null || { echo "node is required" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# fetch NAME VERSION INTEGRITY -> unpacks into $WORK/NAME/package
fetch() {
  local name="$1" version="$2" integrity="$3" dir="$WORK/$1" tgz actual
  mkdir -p "$dir"
  tgz="$(cd "$dir" && npm pack --silent "$name@$version" | tail -n 1)"
  # Independent check of the tarball against the pinned Subresource-Integrity hash.
  actual="sha512-$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$dir/$tgz")"
  if [[ "$actual" != "$integrity" ]]; then
    echo "integrity mismatch for $name@$version" >&2
    echo "  expected $integrity" >&2
    echo "  got      $actual" >&2
    exit 1
  fi
  tar -xzf "$dir/$tgz" -C "$dir"
  echo "fetched $name@$version ($tgz, integrity ok)"
}

DRIFT=0
# place SRC DEST: copy (update mode) or compare (check mode)
place() {
  local src="$1" dest="$2"
  [[ -f "$src" ]] || { echo "missing in package: $src" >&2; exit 1; }
  if [[ "$MODE" == "check" ]]; then
    if cmp -s "$src" "$dest"; then
      echo "  ok      ${dest#"$REPO_ROOT"/}"
    else
      echo "  DRIFT   ${dest#"$REPO_ROOT"/}" >&2
      DRIFT=1
    fi
  else
    mkdir -p "$(dirname "$dest")"
    install -m 0644 "$src" "$dest"
    echo "  wrote   ${dest#"$REPO_ROOT"/}"
  fi
}

fetch axe-core "$AXE_VERSION" "$AXE_INTEGRITY"
fetch socket.io-client "$SIO_VERSION" "$SIO_INTEGRITY"

AXE_PKG="$WORK/axe-core/package"
SIO_PKG="$WORK/socket.io-client/package"

# axe-core: used by the end-to-end accessibility tests only, never served.
place "$AXE_PKG/axe.min.js"               "$AXE_DEST/axe.min.js"
place "$AXE_PKG/LICENSE"                  "$AXE_DEST/axe-core.LICENSE.txt"
place "$AXE_PKG/LICENSE-3RD-PARTY.txt"    "$AXE_DEST/axe-core.LICENSE-3RD-PARTY.txt"

# socket.io-client: served to browsers from /static/vendor/socket.io/.
place "$SIO_PKG/dist/socket.io.esm.min.js" "$SIO_DEST/socket.io.esm.min.js"
place "$SIO_PKG/dist/socket.io.min.js"     "$SIO_DEST/socket.io.min.js"
place "$SIO_PKG/LICENSE"                   "$SIO_DEST/LICENSE"

if [[ "$MODE" == "check" ]]; then
  if [[ "$DRIFT" -ne 0 ]]; then
    echo "vendored files differ from the pinned packages; run: bash static/vendor/update.sh" >&2
    exit 1
  fi
  echo "vendored files match axe-core@$AXE_VERSION and socket.io-client@$SIO_VERSION"
else
  echo "done: axe-core@$AXE_VERSION, socket.io-client@$SIO_VERSION"
  echo "sha256 of the vendored files:"
  (cd "$REPO_ROOT" && sha256sum \
    tests/e2e/vendor/axe.min.js \
    static/vendor/socket.io/socket.io.esm.min.js \
    static/vendor/socket.io/socket.io.min.js)
fi
