"""Maps a container's /opt/ml paths into a job's own directory, for scripts that hard-code them."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path, PurePosixPath

CONTAINER_ROOT = "/opt/ml"


class Sandbox:
    """A job directory that stands in for the container's file system under /opt/ml."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def local_path(self, container_path: str) -> Path:
        """Where a container path lives on this machine; anything outside /opt/ml is refused."""
        pure = PurePosixPath(container_path)
        if not pure.is_absolute() or ".." in pure.parts or not str(pure).startswith(CONTAINER_ROOT):
            raise ValueError(f"{container_path!r} is not a path under {CONTAINER_ROOT}")
        path = (self.root / str(pure).lstrip("/")).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"{container_path!r} leaves the job's sandbox")
        return path

    def map_text(self, text: str) -> str:
        return text.replace(CONTAINER_ROOT, str(self.root / CONTAINER_ROOT.lstrip("/")))

    def map_argument(self, argument: str) -> str:
        return self.map_text(argument) if CONTAINER_ROOT in argument else argument

    def rewrite_script(self, source: str) -> str:
        """Point the script's string literals that name /opt/ml paths at the sandbox; code is untouched."""
        tokens = []
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING and CONTAINER_ROOT in token.string:
                token = token._replace(string=self.map_text(token.string))
            tokens.append(token)
        return tokenize.untokenize(tokens)
