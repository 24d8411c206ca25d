"""Make the app's server crash as a bug in C code would: SIGSEGV to its youngest process running
this interpreter (a gunicorn worker; the only process of a single-process server), never to
itself. (faulthandler)

Run as `python -c <this>` with the server's interpreter, as its user. faulthandler's handler runs
for a SIGSEGV whoever sends it, so the log shows exactly what a real segfault in that process
would leave: "Fatal Python error: Segmentation fault" and the Python traceback, or nothing.
Prints one JSON object: the process it crashed and its command line.
"""

import json
import os
import signal
import sys


def youngest_other():
    own = os.path.realpath(sys.executable)
    for name in sorted((n for n in os.listdir("/proc") if n.isdigit()), key=int, reverse=True):
        if int(name) == os.getpid():
            continue
        try:
            if os.path.realpath(f"/proc/{name}/exe") != own:
                continue
            with open(f"/proc/{name}/cmdline", "rb") as fh:
                argv = [a.decode("utf-8", "replace") for a in fh.read().split(b"\0") if a]
            return int(name), argv
        except OSError:
            continue
    return None, []


pid, argv = youngest_other()
if pid is not None:
    os.kill(pid, signal.SIGSEGV)
print(json.dumps({"pid": pid, "argv": argv}))
