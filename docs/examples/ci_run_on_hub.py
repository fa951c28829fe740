#!/usr/bin/env python3
"""Run a command in a JupyterHub server from CI, through hubssh's JSON-RPC.

Starts (or creates) a named server, sets up ssh, runs the command, stops
the server. Standard library only.

    HUB_TOKEN=... python3 ci_run_on_hub.py --hub https://hub.example.org \
        --server ci -- pytest -q

The token comes from the HUB_TOKEN environment variable and travels to
hubssh inside the JSON-RPC request, never on a command line. Exit status:
the command's, or 2 for hubssh errors (printed with the fix).
"""
import argparse
import itertools
import json
import os
import subprocess
import sys


class HubsshRPC:
    """A minimal JSON-RPC 2.0 client with Content-Length framing."""

    def __init__(self, hubssh):
        self.proc = subprocess.Popen([hubssh, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.ids = itertools.count(1)

    def call(self, method, params=None):
        rid = next(self.ids)
        body = json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params or {}}).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        while True:
            msg = self._read()
            if msg.get("method") == "$/progress":
                v = msg["params"]["value"]
                print(f"hub: {v['percentage']:3d}% {v['message']}", file=sys.stderr)
                continue
            if msg.get("id") == rid:
                if "error" in msg:
                    raise RPCError(msg["error"])
                return msg.get("result")

    def _read(self):
        length = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("hubssh serve exited")
            line = line.strip()
            if not line:
                break
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return json.loads(self.proc.stdout.read(length))

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


class RPCError(Exception):
    def __init__(self, err):
        kind = (err.get("data") or {}).get("kind", "")
        super().__init__(f"{err['message']} (code {err['code']}{', ' + kind if kind else ''})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hub", required=True)
    ap.add_argument("--server", default="ci", help="named server to use (created if missing)")
    ap.add_argument("--hubssh", default="hubssh")
    ap.add_argument("--keep", action="store_true", help="leave the server running")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    token = os.environ.get("HUB_TOKEN")
    if not token:
        print("ci_run_on_hub: set HUB_TOKEN to a JupyterHub API token", file=sys.stderr)
        return 2

    rpc = HubsshRPC(args.hubssh)
    try:
        # Negotiate first: a hubssh that speaks no version we know says so
        # (code -32007, and which side to update) before anything happens.
        rpc.call("version", {"protocols": [2], "client": "ci_run_on_hub.py"})
        hub = rpc.call("hubs/add", {"url": args.hub, "token": token})
        print(f"logged in to {hub['url']} as {hub['user']}", file=sys.stderr)
        rpc.call("servers/start", {"hub": hub["url"], "server": args.server, "progressToken": "ci"})
        prep = rpc.call("connect/prepare", {"hub": hub["url"], "server": args.server})
        ssh = ["ssh", "-F", prep["sshConfig"], prep["alias"]] + command
        status = subprocess.call(ssh)
        if not args.keep:
            rpc.call("servers/stop", {"hub": hub["url"], "server": args.server})
            print(f"stopped server {args.server}", file=sys.stderr)
        return status
    except RPCError as e:
        print(f"ci_run_on_hub: {e}", file=sys.stderr)
        return 2
    finally:
        rpc.close()


if __name__ == "__main__":
    sys.exit(main())
