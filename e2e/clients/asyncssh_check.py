"""asyncssh through the alias "hubssh connect" wrote.

Run by e2e/clients_test.go with HOME set to the user's home: asyncssh reads
~/.ssh/config itself (ProxyCommand, User, IdentityFile, UserKnownHostsFile,
HostKeyAlias). Reports what it saw as one JSON object; the Go test holds
the expectations.
"""
import asyncio
import hashlib
import json
import sys

import asyncssh


async def attempt(coro):
    try:
        await coro
        return "ok"
    except asyncssh.SFTPError as e:
        return "sftp code %d" % e.code


async def main():
    alias, local = sys.argv[1], sys.argv[2]
    out = {}
    async with asyncssh.connect(alias) as conn:
        r = await conn.run("echo asyncssh-ok; id -un", check=True)
        out["exec"] = r.stdout.split()
        async with conn.start_sftp_client() as sftp:
            d = "clients-asyncssh"
            await sftp.mkdir(d)
            await sftp.put(local, d + "/big.bin")
            await sftp.get(d + "/big.bin", local + ".back")
            with open(local + ".back", "rb") as f:
                out["roundtrip_sha256"] = hashlib.sha256(f.read()).hexdigest()
            await sftp.symlink("big.bin", d + "/link")
            out["readlink"] = await sftp.readlink(d + "/link")
            out["hardlink"] = await attempt(sftp.link(d + "/big.bin", d + "/hard.bin"))  # hardlink@openssh.com
            vfs = await sftp.statvfs(".")  # statvfs@openssh.com
            out["statvfs_ok"] = vfs.bsize > 0 and vfs.blocks > 0
            async with sftp.open(d + "/f.txt", "w") as f:
                await f.write("x")
                # fsync@openssh.com: not offered (pkg/sftp keeps the handles).
                out["fsync"] = await attempt(f.fsync())
            async with sftp.open(d + "/g.txt", "w") as f:
                await f.write("g")
            out["rename_over_existing"] = await attempt(sftp.rename(d + "/f.txt", d + "/g.txt"))
            out["posix_rename"] = await attempt(sftp.posix_rename(d + "/f.txt", d + "/g.txt"))
            out["lstat_link_is_link"] = (await sftp.lstat(d + "/link")).type == asyncssh.FILEXFER_TYPE_SYMLINK
            out["remove_missing"] = await attempt(sftp.remove(d + "/missing"))
            out["realpath"] = await sftp.realpath(".")
    print(json.dumps(out))


asyncio.run(main())
