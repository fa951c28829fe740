# Shared paths for the scripts. Source it; it sets no options of the caller.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${HUBSSH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hubssh-dev}
REQS=$ROOT/scripts/requirements-hub.txt
# The venv is keyed by the pinned requirements, so a change rebuilds it and
# an unchanged file reuses it across checkouts and CI runs on one machine.
VENV=$CACHE/venv-$(sha256sum "$REQS" | cut -c1-12)
CHP=$ROOT/node_modules/.bin/configurable-http-proxy
# Older JupyterHub majors still widely deployed: the end-to-end suite runs a
# subset against each (scripts/test), "MAJOR:requirements" pairs.
OLD_HUBS="5:$ROOT/scripts/requirements-hub-5.txt 4:$ROOT/scripts/requirements-hub-4.txt"
hub_venv() { echo "$CACHE/venv-$(sha256sum "$1" | cut -c1-12)"; }
BIN=$ROOT/bin

say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The benchmark's hub also has jupyter-sshd-proxy, the peer it is compared
# with; tests never see it.
BENCH_REQS=$ROOT/scripts/requirements-bench.txt
BENCH_VENV=$CACHE/venv-bench-$(sha256sum "$BENCH_REQS" | cut -c1-12)
WEBSOCAT_VERSION=1.14.1
WEBSOCAT=$CACHE/websocat-$WEBSOCAT_VERSION/bin/websocat

# ensure_websocat builds websocat, the peers' ProxyCommand (the hub
# benchmark's, and the e2e plain-client test's), from crates.io once.
ensure_websocat() {
  [ -x "$WEBSOCAT" ] && return
  command -v cargo >/dev/null || die "cargo is needed to build websocat (the peers' ProxyCommand): install Rust"
  say "building websocat $WEBSOCAT_VERSION from crates.io (about a minute)"
  cargo install --quiet --locked websocat --version "$WEBSOCAT_VERSION" --root "$(dirname "$(dirname "$WEBSOCAT")")" >&2
}

# make_venv DIR REQUIREMENTS: a venv built where it lives, marked complete.
make_venv() {
  if [ ! -f "$1/.complete" ]; then
    say "setup: creating the venv $1"
    rm -rf "$1"
    mkdir -p "$CACHE"
    python3 -m venv "$1"
    "$1/bin/pip" install -q --disable-pip-version-check -r "$2" >&2
    touch "$1/.complete"
  fi
}

# The extension's integration tests run in a real VS Code extension host:
# code-server from npm (scripts/setup-vscode-host), cached per version.
CODE_SERVER_VERSION=4.100.3
CODE_SERVER_DIR=$CACHE/code-server-$CODE_SERVER_VERSION

# The release version: the extension's, which every artifact carries.
release_version() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$ROOT/extension/package.json"; }

# scripts/wheel builds jupyter-hubsshd with hatchling from this venv.
WHEEL_REQS=$ROOT/scripts/requirements-wheel.txt
WHEEL_VENV=$CACHE/venv-wheel-$(sha256sum "$WHEEL_REQS" | cut -c1-12)

# SSH libraries the end-to-end suite drives (e2e/clients_test.go): a venv
# with paramiko, fabric and asyncssh, and sshj's jars copied by Maven, both
# keyed by their pinned versions.
CLIENTS_REQS=$ROOT/scripts/requirements-clients.txt
CLIENTS_VENV=$CACHE/venv-clients-$(sha256sum "$CLIENTS_REQS" | cut -c1-12)
SSHJ_POM=$ROOT/e2e/clients/sshj/pom.xml
SSHJ_LIB=$CACHE/sshj-$(sha256sum "$SSHJ_POM" | cut -c1-12)
