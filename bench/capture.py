# capture.py: what the benchmarks share: reading what C libraries print
# SPDX-License-Identifier: LGPL-2.1-or-later
"""capture_fd: text written to a C-level file descriptor (oneDNN's verbose
lines, OpenCV's warnings), which Python's sys.stdout/stderr never see."""

import contextlib
import ctypes
import os
import sys
import tempfile


@contextlib.contextmanager
def capture_fd(fd, echo=False):
    """Redirects the C-level file descriptor fd into a temporary file; the
    text written meanwhile is in the yielded list afterwards (and is written
    to fd again when echo)."""
    libc = ctypes.CDLL(None)
    sys.stdout.flush()
    sys.stderr.flush()
    libc.fflush(None)
    saved = os.dup(fd)
    got = []
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            yield got
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            libc.fflush(None)
            os.dup2(saved, fd)
            os.close(saved)
            tmp.seek(0)
            data = tmp.read()
            if echo and data:
                os.write(fd, data)
            got.append(data.decode("utf-8", "replace"))
