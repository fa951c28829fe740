"""Puts the hubsshd binary into the wheel and tags the wheel for its platform.

scripts/wheel sets HUBSSHD_BINARY (a static linux build) and
HUBSSHD_WHEEL_PLATFORM (a PEP 425 platform tag set). The binary goes inside
the package, where jupyter_hubsshd finds it from its own __file__, so
"pip install --target", --user and conda prefixes all work.
"""

import os
import stat

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        if self.target_name != "wheel":
            raise RuntimeError("jupyter-hubsshd is built as platform wheels only: run scripts/wheel")
        binary = os.environ.get("HUBSSHD_BINARY", "")
        platform = os.environ.get("HUBSSHD_WHEEL_PLATFORM", "")
        if not binary or not platform:
            raise RuntimeError("HUBSSHD_BINARY and HUBSSHD_WHEEL_PLATFORM are not set: build with scripts/wheel")
        mode = os.stat(binary).st_mode
        if not mode & stat.S_IXUSR:
            raise RuntimeError(f"{binary} is not executable")
        build_data["pure_python"] = False
        build_data["tag"] = f"py3-none-{platform}"
        build_data["force_include"][binary] = "jupyter_hubsshd/bin/hubsshd"
