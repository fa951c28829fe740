# Shared paths for the scripts. Source it; it sets no options of the caller.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${HUBSSH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hubssh-dev}
REQS=$ROOT/scripts/requirements-hub.txt
# The venv is keyed by the pinned requirements, so a change rebuilds it and
# an unchanged file reuses it across checkouts and CI runs on one machine.
VENV=$CACHE/venv-$(sha256sum "$REQS" | cut -c1-12)
CHP=$ROOT/node_modules/.bin/configurable-http-proxy
BIN=$ROOT/bin

say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
