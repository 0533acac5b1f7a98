"""Index at low priority: the CPU and the disk go to whatever the person is doing first.

`lower` is called by the indexing thread itself. On Linux, niceness and I/O priority belong to
a thread, not the process, and threads inherit them from the thread that starts them, so the
decode threads and the models' thread pools the index run starts are low priority too, while
the node's peer service keeps normal priority. On macOS niceness applies to the whole process
(the node's serving is light; indexing is what it does), and I/O priority is left as is.
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import sys

log = logging.getLogger("roost.node")

_IOPRIO_SET = {"x86_64": 251, "aarch64": 30, "arm64": 30, "i686": 289, "armv7l": 314}
_IOPRIO_WHO_PROCESS = 1  # with id 0: the calling thread
_IOPRIO_CLASS_IDLE = 3  # disk time only when no one else wants it
_IOPRIO_CLASS_SHIFT = 13


def lower(niceness: int) -> None:
    """Raise this thread's niceness by `niceness`, and on Linux give it idle I/O priority."""
    if niceness:
        os.nice(niceness)
    if sys.platform.startswith("linux"):
        _idle_io()


def _idle_io() -> None:
    number = _IOPRIO_SET.get(platform.machine())
    if number is None:
        log.info("I/O priority left as is: unknown system call number on %s", platform.machine())
        return
    libc = ctypes.CDLL(None, use_errno=True)
    value = _IOPRIO_CLASS_IDLE << _IOPRIO_CLASS_SHIFT
    if libc.syscall(number, _IOPRIO_WHO_PROCESS, 0, value) != 0:
        log.info("I/O priority left as is: %s", os.strerror(ctypes.get_errno()))
