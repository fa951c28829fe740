"""paramiko and fabric through the alias "hubssh connect" wrote.

Run by e2e/clients_test.go with HOME set to the user's home: reads
~/.ssh/config the way paramiko does (no Include followed), connects with
the ProxyCommand, key and pinned host key it names, and reports what it saw
as one JSON object on stdout. The Go test holds the expectations.
"""
import hashlib
import json
import os
import sys

import fabric
import paramiko


def attempt(fn):
    try:
        fn()
        return "ok"
    except OSError as e:  # paramiko maps SFTP status codes to errno
        return "errno %s" % (e.errno,)


def main():
    alias, local = sys.argv[1], sys.argv[2]
    cfg = paramiko.SSHConfig.from_path(os.path.expanduser("~/.ssh/config"))
    host = cfg.lookup(alias)
    out = {"config": {k: host.get(k) for k in ("hostname", "user", "proxycommand", "userknownhostsfile")}}
    if "proxycommand" not in host:
        out["error"] = "paramiko finds no ProxyCommand for %s" % alias
        print(json.dumps(out))
        return

    client = paramiko.SSHClient()
    client.load_host_keys(host["userknownhostsfile"])
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(host["hostname"], username=host.get("user"), key_filename=host["identityfile"],
                   sock=paramiko.ProxyCommand(host["proxycommand"]),
                   look_for_keys=False, allow_agent=False, timeout=60)
    _, stdout, _ = client.exec_command("echo paramiko-ok; id -un")
    out["exec"] = stdout.read().decode().split()
    out["exec_status"] = stdout.channel.recv_exit_status()

    sftp = client.open_sftp()
    d = "clients-paramiko"
    sftp.mkdir(d)
    sftp.put(local, d + "/big.bin")
    sftp.get(d + "/big.bin", local + ".back")
    with open(local + ".back", "rb") as f:
        out["roundtrip_sha256"] = hashlib.sha256(f.read()).hexdigest()
    # A relative symlink target is stored as sent (#16).
    sftp.symlink("big.bin", d + "/link")
    out["readlink"] = sftp.readlink(d + "/link")
    out["link_size"] = sftp.stat(d + "/link").st_size
    # Plain rename never replaces a file; posix_rename does.
    for name, body in (("a.txt", b"a"), ("b.txt", b"b")):
        with sftp.open(d + "/" + name, "w") as f:
            f.write(body)
    out["rename_over_existing"] = attempt(lambda: sftp.rename(d + "/a.txt", d + "/b.txt"))
    with sftp.open(d + "/b.txt") as f:
        out["b_after_rename"] = f.read().decode()
    out["posix_rename"] = attempt(lambda: sftp.posix_rename(d + "/a.txt", d + "/b.txt"))
    with sftp.open(d + "/b.txt") as f:
        out["b_after_posix_rename"] = f.read().decode()
    sftp.chmod(d + "/b.txt", 0o640)
    out["mode"] = oct(sftp.stat(d + "/b.txt").st_mode & 0o777)
    out["listdir"] = sorted(sftp.listdir(d))
    out["remove_missing"] = attempt(lambda: sftp.remove(d + "/missing"))
    out["mkdir_existing"] = attempt(lambda: sftp.mkdir(d))
    out["normalize"] = sftp.normalize(".")
    sftp.close()
    client.close()

    # fabric, its default config loading: ~/.ssh/config gives the ProxyCommand,
    # User and key. fabric auto-adds unknown host keys; pinned as docs/clients.md says.
    conn = fabric.Connection(alias)
    conn.client.load_host_keys(host["userknownhostsfile"])
    conn.client.set_missing_host_key_policy(paramiko.RejectPolicy())
    r = conn.run("echo fabric-ok; id -un", hide=True)
    out["fabric"] = r.stdout.split()
    conn.close()
    print(json.dumps(out))


main()
