"""Small file systems for full-disk cases (root only: tests skip with the reason otherwise)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def mount_tmpfs(path: Path, size: str) -> str | None:
    """Mount a tmpfs of ``size`` on ``path``; the reason when that is impossible, else None."""
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True,
                       text=True, timeout=30, check=False)
    return None if r.returncode == 0 else f"cannot mount a tmpfs here: {r.stderr.strip()}"


def umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30, check=False)


def fill(directory: Path, name: str = "filler.bin") -> Path:
    """Fill the file system of ``directory`` with one file ``name``; its path."""
    filler = directory / name
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler
