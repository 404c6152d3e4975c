"""Worker processes end with the process that started them, even one killed with SIGKILL.

A worker whose parent is killed never learns of it: it waits on pipes whose other end it
holds itself (multiprocessing hands a child both ends), so it waits forever under PID 1,
and it keeps multiprocessing's resource tracker alive too, since that one exits only
when every process holding its pipe has. On Linux the kernel can send the signal instead.
"""

import ctypes
import multiprocessing
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
"""From <linux/prctl.h>: the signal this process gets when its parent dies."""


def end_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this process as soon as its parent, `parent_pid`, dies.

    The kernel's "parent" is the thread that started this process: start it from a thread
    that lives as long as its process (an event loop's, a supervisor's main thread).
    Elsewhere than on Linux this does nothing.
    """
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    # A parent that died before the prctl call sent no signal, and never will.
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), signal.SIGKILL)


def end_with_supervisor() -> None:
    """In a worker started by uvicorn's supervisor (`serve --workers N`, `--reload`),
    end with the supervisor; in a process multiprocessing did not start, do nothing."""
    supervisor = multiprocessing.parent_process()
    if supervisor is not None and supervisor.pid is not None:
        end_with_parent(supervisor.pid)
