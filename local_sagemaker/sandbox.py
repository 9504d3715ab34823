"""Maps a container's /opt/ml paths into a job's own directory, for scripts that hard-code them.

The job directory stands in for the container's root file system: `/opt/ml/x` becomes
`<root>/opt/ml/x`, and a path is normalised as the container's kernel would (`..` stops at `/`), so no
literal /opt/ml path can name anything above the sandbox. The rewritten script also runs under an
audit hook that refuses writes whose path starts inside the sandbox but resolves outside it (a mapped
prefix joined with `..` at run time, or a symlink planted in the sandbox). That is a guard rail against
mistakes, not isolation: a processing script is code the user asked to run, with the service's rights.
"""

from __future__ import annotations

import io
import posixpath
import re
import tokenize
from pathlib import Path, PurePosixPath

CONTAINER_ROOT = "/opt/ml"

# `/opt/ml` as a whole path component (not `/opt/mlflow`, not `/x/opt/ml`), up to the first character
# that cannot belong to a path inside a string literal or an argument.
_TERMINATORS = "\\s'\"\\\\:,;)\\]>|"
_CONTAINER_PATH = re.compile(
    rf"(?<![\w.\-])/opt/ml(?=$|/|[{_TERMINATORS}])[^{_TERMINATORS}]*",
)

# Runs first in the rewritten script. Kept free of the script's names: everything is local to
# `_sandbox_install`, which removes itself from the module's globals before the script starts.
_PROLOGUE = """\
# Written by the local SageMaker service: {name} with /opt/ml mapped into the job's sandbox.
def _sandbox_install(root, source):
    import errno
    import linecache
    import os
    import sys

    globals().pop("_sandbox_install", None)
    here = os.path.abspath(__file__)
    folder, base = os.path.split(here)
    # The runner names the rewritten copy .<script>.local.py; tracebacks should name the script.
    if base.startswith(".") and base.endswith(".local.py"):
        here = os.path.join(folder, base[1 : -len(".local.py")])
    inside = root + os.sep
    busy = []

    def check(path):
        if isinstance(path, int):
            return
        text = os.fsdecode(path)
        absolute = text if os.path.isabs(text) else os.path.join(os.getcwd(), text)
        if absolute != root and not absolute.startswith(inside):
            return  # not a sandbox path; the script is the user's own code
        resolved = os.path.realpath(absolute)
        if resolved != root and not resolved.startswith(inside):
            raise PermissionError(errno.EACCES, "path leaves the job's sandbox " + root, text)

    def guard(event, args):
        if busy or not args:
            return
        busy.append(1)
        try:
            if event == "open":
                mode, flags = args[1], args[2]
                writes = (
                    any(c in mode for c in "wax+")
                    if isinstance(mode, str)
                    else bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC))
                )
                if writes:
                    check(args[0])
            elif event in ("os.rename", "os.link", "os.symlink"):
                check(args[1])
                if event == "os.rename":
                    check(args[0])
            elif event in (
                "os.remove", "os.rmdir", "os.mkdir", "os.truncate", "os.chmod", "os.chown",
                "os.utime", "shutil.rmtree",
            ):
                check(args[0])
        finally:
            busy.clear()

    sys.addaudithook(guard)
    linecache.cache[here] = (len(source), None, source.splitlines(True), here)
    return compile(source, here, "exec", dont_inherit=True)


exec(_sandbox_install({root!r}, {source!r}))
"""


class Sandbox:
    """A job directory that stands in for the container's file system under /opt/ml."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def local_path(self, container_path: str) -> Path:
        """Where a container path lives on this machine; anything outside /opt/ml is refused."""
        pure = PurePosixPath(container_path)
        if (
            not pure.is_absolute()
            or ".." in pure.parts
            or not (pure == PurePosixPath(CONTAINER_ROOT) or pure.is_relative_to(CONTAINER_ROOT))
        ):
            raise ValueError(f"{container_path!r} is not a path under {CONTAINER_ROOT}")
        path = (self.root / str(pure).lstrip("/")).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"{container_path!r} leaves the job's sandbox")
        return path

    def map_path(self, container_path: str) -> str:
        """`/opt/ml/...` on this machine, normalised like the container's kernel would: `..` stops at `/`."""
        normal = posixpath.normpath(container_path)
        if normal.startswith("//"):  # POSIX keeps a leading double slash; the kernel does not
            normal = "/" + normal.lstrip("/")
        mapped = str(self.root) + ("" if normal == "/" else normal)
        keep_slash = container_path.endswith("/") and normal != "/"
        return mapped + "/" if keep_slash else mapped

    def map_text(self, text: str) -> str:
        return _CONTAINER_PATH.sub(lambda match: self.map_path(match.group(0)), text)

    def map_argument(self, argument: str) -> str:
        return self.map_text(argument) if CONTAINER_ROOT in argument else argument

    def map_script(self, source: str) -> str:
        """The script with its string literals that name /opt/ml paths pointed at the sandbox."""
        tokens = []
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING and CONTAINER_ROOT in token.string:
                token = token._replace(string=self.map_text(token.string))
            tokens.append(token)
        return tokenize.untokenize(tokens)

    def rewrite_script(self, source: str, name: str = "a processing script") -> str:
        """A runnable file: the mapped script, run as `__main__` under the sandbox's write guard.

        Line numbers and `__file__` stay those of the script, so its tracebacks read as usual."""
        return _PROLOGUE.format(name=name, root=str(self.root), source=self.map_script(source))
