"""A one-line progress bar for terminals (pydcmkit addition; off with -q or when not a TTY)."""

from __future__ import annotations

import threading
import time


class ProgressBar:
    """Redraws ``[####    ] n/total  X MB  Y MB/s`` on ``stream`` at most every 0.1 s."""

    def __init__(self, stream, total: int, width: int = 30):
        self.stream = stream
        self.total = max(total, 1)
        self.width = width
        self.done = 0
        self.bytes = 0
        self.start = time.monotonic()
        self._last = 0.0
        self._lock = threading.Lock()

    def update(self, nbytes: int) -> None:
        with self._lock:
            self.done += 1
            self.bytes += nbytes
            now = time.monotonic()
            if now - self._last >= 0.1 or self.done >= self.total:
                self._last = now
                self._draw(now)

    def _draw(self, now: float) -> None:
        filled = int(self.width * self.done / self.total)
        mb = self.bytes / 1e6
        rate = mb / max(now - self.start, 1e-6)
        self.stream.write(f"\r[{'#' * filled}{' ' * (self.width - filled)}] {self.done}/{self.total} "
                          f"{mb:.1f} MB {rate:.1f} MB/s")
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def final_line(count: int, nbytes: int, seconds: float) -> str:
    """``sent N objects (X MB) in T s (Y MB/s)``, as dcm4che's tools end."""
    mb = nbytes / 1e6
    return f"sent {count} objects ({mb:.2f} MB) in {seconds:.2f} s ({mb / max(seconds, 1e-6):.2f} MB/s)"
