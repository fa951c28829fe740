"""Unit tests of the jupyter_serverproxy_servers callables.

Run by scripts/test with the hub's environment (it has
jupyter-server-proxy): python -m unittest discover server/python/tests.
Each test loads a copy of the package from a temporary directory with a
stand-in binary, so the real wheel's layout is what is exercised.
"""

import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src", "jupyter_hubsshd")


def load_copy(with_binary=True, mode=0o755):
    """A copy of the package in a temp dir, as pip lays it out."""
    root = tempfile.mkdtemp()
    pkg = os.path.join(root, "jupyter_hubsshd")
    shutil.copytree(SRC, pkg)
    if with_binary:
        os.makedirs(os.path.join(pkg, "bin"), exist_ok=True)
        exe = os.path.join(pkg, "bin", "hubsshd")
        with open(exe, "w") as f:
            f.write("#!/bin/sh\necho hubsshd stand-in \"$@\"\n")
        os.chmod(exe, mode)
    spec = importlib.util.spec_from_file_location(f"jupyter_hubsshd_{os.path.basename(root)}", os.path.join(pkg, "__init__.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return root, pkg, mod


class EntryTest(unittest.TestCase):
    def tearDown(self):
        for d in getattr(self, "dirs", []):
            shutil.rmtree(d, ignore_errors=True)

    def copy(self, **kw):
        root, pkg, mod = load_copy(**kw)
        self.dirs = getattr(self, "dirs", []) + [root]
        return pkg, mod

    def test_entries_are_what_jupyter_server_proxy_accepts(self):
        from jupyter_server_proxy.config import ServerProcess

        pkg, mod = self.copy()
        exe = os.path.join(pkg, "bin", "hubsshd")
        for name, setup, args, raw in [
            ("sshd", mod.setup_sshd, ["--socket", "{unix_socket}"], True),
            ("sshd-control", mod.setup_sshd_control, ["--control-socket", "{unix_socket}"], False),
        ]:
            d = setup()
            self.assertEqual(d["command"], [exe, *args])
            self.assertIs(d["unix_socket"], True)
            self.assertEqual(d.get("raw_socket_proxy", False), raw)
            sp = ServerProcess(name=name, **d)  # raises on a key it does not know
            self.assertEqual(sp.raw_socket_proxy, raw)
            self.assertFalse(sp.launcher_entry.enabled)

    def test_missing_binary_never_raises_and_says_why(self):
        _, mod = self.copy(with_binary=False)
        d = mod.setup_sshd()
        r = subprocess.run(d["command"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("jupyter-hubsshd: cannot run hubsshd", r.stderr)
        self.assertIn("reinstall jupyter-hubsshd", r.stderr)

    def test_lost_exec_bit_is_repaired(self):
        pkg, mod = self.copy(mode=0o644)
        path = mod.binary()
        self.assertEqual(path, os.path.join(pkg, "bin", "hubsshd"))
        self.assertTrue(os.stat(path).st_mode & stat.S_IXUSR)
        out = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
        self.assertEqual(out, "hubsshd stand-in --version\n")

    def test_read_only_package_gets_an_executable_copy(self):
        pkg, mod = self.copy(mode=0o644)
        cache = tempfile.mkdtemp()
        self.dirs.append(cache)
        with mock.patch.dict(os.environ, {"XDG_CACHE_HOME": cache}), \
                mock.patch.object(mod.os, "chmod", side_effect=[PermissionError("read-only"), None]):
            path = mod.binary()
        self.assertTrue(path.startswith(os.path.join(cache, "jupyter-hubsshd") + os.sep), path)
        os.chmod(path, 0o700)  # the mocked chmod did not set it
        out = subprocess.run([path], capture_output=True, text=True).stdout
        self.assertEqual(out, "hubsshd stand-in\n")
        self.assertFalse(os.stat(os.path.join(pkg, "bin", "hubsshd")).st_mode & stat.S_IXUSR)


if __name__ == "__main__":
    unittest.main()
