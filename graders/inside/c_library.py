"""Which C library does this Python run on, glibc or musl? (not-alpine)

Run as `python -c <this>` with the interpreter the app's server runs; or, to examine another
binary, `python <this file> PATH`. Three independent readings, none of them the image's name:
- the ELF program interpreter (PT_INTERP) of the interpreter's binary, read from its own header:
  glibc's is /lib64/ld-linux-x86-64.so.2 (ld-linux-*.so.* on other architectures), musl's
  /lib/ld-musl-<arch>.so.1; a statically linked binary has none;
- `platform.libc_ver()`, which reads the binary for glibc's version strings;
- the C library mapped into this very process (/proc/self/maps): libc.so.6 or ld-musl / libc.musl.
Prints one JSON object.
"""

import json
import os
import platform
import struct
import sys

PT_INTERP = 3


def program_interpreter(path):
    """The PT_INTERP string of an ELF file; None for a static binary; raises ValueError if not ELF."""
    with open(path, "rb") as fh:
        head = fh.read(64)
        if head[:4] != b"\x7fELF" or len(head) < 52:
            raise ValueError("not an ELF file")
        wide, order = head[4] == 2, "<" if head[5] == 1 else ">"
        if wide:
            phoff, = struct.unpack_from(order + "Q", head, 32)
            phentsize, phnum = struct.unpack_from(order + "HH", head, 54)
        else:
            phoff, = struct.unpack_from(order + "I", head, 28)
            phentsize, phnum = struct.unpack_from(order + "HH", head, 42)
        for n in range(phnum):
            fh.seek(phoff + n * phentsize)
            entry = fh.read(phentsize)
            p_type, = struct.unpack_from(order + "I", entry, 0)
            if p_type != PT_INTERP:
                continue
            if wide:
                offset, = struct.unpack_from(order + "Q", entry, 8)
                size, = struct.unpack_from(order + "Q", entry, 32)
            else:
                offset, = struct.unpack_from(order + "I", entry, 4)
                size, = struct.unpack_from(order + "I", entry, 16)
            fh.seek(offset)
            return fh.read(size).split(b"\0", 1)[0].decode("utf-8", "replace")
    return None


def kind(interpreter):
    name = os.path.basename(interpreter or "")
    if name.startswith("ld-musl"):
        return "musl"
    if name.startswith(("ld-linux", "ld64.so")):
        return "glibc"
    return None


def mapped_c_libraries():
    """The C library files mapped into this process."""
    found = []
    try:
        with open("/proc/self/maps") as fh:
            for line in fh:
                path = line.split(None, 5)[5].strip() if len(line.split(None, 5)) == 6 else ""
                name = os.path.basename(path)
                if (name.startswith(("libc.so", "libc-", "ld-musl", "libc.musl")) and path not in found):
                    found.append(path)
    except OSError:
        pass
    return found


def main():
    target = sys.argv[1] if len(sys.argv) > 1 else sys.executable
    path = os.path.realpath(target)
    report = {"executable": target, "path": path, "interpreter": None, "error": None}
    try:
        report["interpreter"] = program_interpreter(path)
    except (OSError, ValueError) as exc:
        report["error"] = str(exc)
    report["kind"] = kind(report["interpreter"])
    if len(sys.argv) <= 1:       # this interpreter itself: two more readings
        report["libc_ver"] = list(platform.libc_ver())
        report["mapped"] = mapped_c_libraries()
    print(json.dumps(report))


main()
