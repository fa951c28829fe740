"""hubsshd for jupyter-server-proxy, found through its entry point.

jupyter-server-proxy calls setup_sshd and setup_sshd_control (the
"jupyter_serverproxy_servers" entry points in pyproject.toml) with no
arguments when the single-user server starts. A callable that raises is
dropped with a warning only, and the route then silently does not exist
(users see a 404 and "hubsshd is not installed"), so these never raise: a
problem becomes a command that fails with the reason, which lands in the
server's log each time a client connects.

An entry an admin defines in c.ServerProxy.servers under the same name wins:
jupyter-server-proxy registers configured servers before entry points, and
the first matching route serves.
"""

import os
import shutil
import stat
import sys
from importlib.metadata import PackageNotFoundError, version

__all__ = ["binary", "setup_sshd", "setup_sshd_control"]


def _version():
    try:
        return version("jupyter-hubsshd")
    except PackageNotFoundError:
        return "dev"


def binary():
    """The path of the hubsshd binary this package carries, executable.

    pip restores the exec bit from the wheel, but copies made by other tools
    (some image layer tools, zip extraction, --target installs copied
    around) may lose it. It is set again where the package directory is
    writable, else the binary is copied to the user's cache with the bit.
    """
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "hubsshd")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} is missing: reinstall jupyter-hubsshd (pip install --force-reinstall jupyter-hubsshd)")
    if os.access(path, os.X_OK):
        return path
    try:
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return path
    except OSError:
        pass
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    copy = os.path.join(cache, "jupyter-hubsshd", _version(), "hubsshd")
    if not os.access(copy, os.X_OK):
        os.makedirs(os.path.dirname(copy), mode=0o700, exist_ok=True)
        tmp = f"{copy}.{os.getpid()}"
        shutil.copyfile(path, tmp)
        os.chmod(tmp, 0o700)
        os.replace(tmp, copy)
    return copy


def _command(args):
    try:
        return [binary(), *args]
    except Exception as e:  # never raise: see the module docstring
        msg = f"jupyter-hubsshd: cannot run hubsshd: {e}\n"
        return [sys.executable, "-c", f"import sys; sys.stderr.write({msg!r}); sys.exit(1)"]


def _entry(args, **extra):
    return {
        "command": _command(args),
        "unix_socket": True,
        # The first start also creates the host key.
        "timeout": 30,
        "launcher_entry": {"enabled": False},
        **extra,
    }


def setup_sshd():
    """The "sshd" entry: SSH as a raw byte stream over the websocket."""
    return _entry(["--socket", "{unix_socket}"], raw_socket_proxy=True)


def setup_sshd_control():
    """The "sshd-control" entry: hubsshd's control API, over HTTP."""
    return _entry(["--control-socket", "{unix_socket}"])
