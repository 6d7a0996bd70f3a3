"""Writing files people asked for (exports) atomically, with clear messages for bad paths.

The text goes to a temporary file beside the target, is flushed to disk and then renamed
over it, so a reader never sees half a file and a failed write leaves the old file intact.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from engine.errors import InvalidInput


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` in one step, or raise ``InvalidInput`` saying why not."""
    folder = path.parent
    if path.is_dir():
        raise InvalidInput(f"--output {path} is a folder; give a file name, e.g. {path}/log.xes")
    if not folder.is_dir():
        raise InvalidInput(
            f"--output {path}: the folder {folder} does not exist; create it first "
            f"(mkdir -p {folder}) or choose another path"
        )
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise InvalidInput(f"--output {path}: cannot write in {folder} ({err.strerror})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as err:
        Path(temporary).unlink(missing_ok=True)
        raise InvalidInput(f"--output {path}: cannot write the file ({err.strerror})") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
