"""Does not-alpine's detector (graders/inside/c_library.py) tell musl from glibc by the binary
itself? No Alpine image can be pulled offline, so its musl branch is proven on a real musl ELF:
a program linked by Debian's musl-gcc in a throwaway image; the glibc branch on the course's
own Python; the header reading on a hand-made 32-bit big-endian ELF."""

from __future__ import annotations

import json
import struct
import subprocess
import sys

import pytest

from graders import build, engine, inside
from graders.workspace import REPO_ROOT

SCRIPT = REPO_ROOT / "graders" / "inside" / "c_library.py"
MUSL_DOCKERFILE = """\
FROM python:3.13-slim
RUN apt-get update && apt-get install -y --no-install-recommends musl-tools binutils \\
    && printf 'int main(void) { return 0; }\\n' > /tmp/hello.c \\
    && musl-gcc -o /usr/local/bin/hello-musl /tmp/hello.c \\
    && rm -rf /var/lib/apt/lists/*
"""


def examine(path) -> dict:
    """The detector's report on another binary, run with this Python."""
    out = subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)


def test_the_course_python_is_glibc():
    """The interpreter running the tests is a Debian glibc build: PT_INTERP is glibc's loader."""
    report = examine(sys.executable)
    assert report["kind"] == "glibc", report
    assert report["interpreter"].startswith(("/lib64/ld-linux", "/lib/ld-linux")), report


def test_run_with_c_flag_it_also_reads_its_own_process():
    """As the grader runs it (`python -c`): the binary, platform.libc_ver() and the mapped libc agree."""
    out = subprocess.run([sys.executable, "-c", inside.script("c_library")], capture_output=True, text=True,
                         timeout=30, check=True)
    report = json.loads(out.stdout)
    assert report["kind"] == "glibc" and report["libc_ver"][0] == "glibc", report
    assert any(path.endswith("libc.so.6") for path in report["mapped"]), report


def test_a_file_that_is_not_elf_is_said_so(tmp_path):
    script = tmp_path / "python3"
    script.write_text("#!/bin/sh\nexec python3 \"$@\"\n")
    report = examine(script)
    assert (report["kind"], report["error"]) == (None, "not an ELF file"), report


def test_a_32_bit_big_endian_header_is_read(tmp_path):
    """ELF32, MSB: one PT_LOAD, then PT_INTERP pointing at a musl loader's name."""
    name = b"/lib/ld-musl-mips.so.1\0"
    header = b"\x7fELF" + bytes([1, 2, 1]) + bytes(9)                      # class 32, big-endian
    header += struct.pack(">HHIIIIIHHHHHH", 2, 8, 1, 0, 52, 0, 0, 52, 32, 2, 0, 0, 0)
    load = struct.pack(">8I", 1, 0, 0, 0, 0, 0, 5, 4)
    interp = struct.pack(">8I", 3, 52 + 64, 0, 0, len(name), len(name), 4, 1)
    binary = tmp_path / "mips-program"
    binary.write_bytes(header + load + interp + name)
    report = examine(binary)
    assert (report["interpreter"], report["kind"]) == ("/lib/ld-musl-mips.so.1", "musl"), report


@pytest.mark.docker
def test_a_real_musl_program_is_musl(docker_client, base_images, tmp_path):
    """musl-gcc's output, examined inside a container with that image's Python, as the grader
    examines a server's interpreter: PT_INTERP is /lib/ld-musl-x86_64.so.1."""
    (tmp_path / "Dockerfile").write_text(MUSL_DOCKERFILE)
    session = engine.Session(docker_client)
    try:
        built = build.build(tmp_path, tmp_path / "Dockerfile", session.image_tag("musl-elf"), session.labels)
        assert built.ok, "\n".join(built.tail())
        container = session.run(built.image_id, command=["python3", "-c", inside.script("c_library"),
                                                         "/usr/local/bin/hello-musl"])
        assert container.wait(timeout=60)["StatusCode"] == 0, container.logs().decode()
        report = json.loads(container.logs(stderr=False).decode().strip().splitlines()[-1])
    finally:
        session.close()
    assert report["interpreter"] == "/lib/ld-musl-x86_64.so.1", report
    assert report["kind"] == "musl", report
