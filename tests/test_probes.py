"""The grader's probes are bounded: a command inside the container has its own deadline and
keeps stdout and stderr apart, a redirect is reported and never followed, logs cannot grow
without limit. Real containers on the real engine."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from graders import limits, engine, probes

pytestmark = pytest.mark.docker
BAD = Path(__file__).parent / "fixtures" / "bad-input"


@pytest.fixture(scope="module")
def sleeper(docker_client, base_images):
    """A running container of the base image, labelled like a grading's, removed afterwards."""
    session = engine.Session(docker_client)
    try:
        yield session.run("python:3.13-slim", command=["sleep", "600"], user="10001:10001")
    finally:
        session.close()


def test_a_command_that_hangs_is_given_up_at_its_deadline(sleeper):
    """An exec that never ends must not hang the grader: it returns at its timeout, saying so."""
    started = time.monotonic()
    result = probes.exec_in(sleeper, ["sleep", "60"], timeout=1.5)
    elapsed = time.monotonic() - started
    assert result.timed_out and result.exit_code is None
    assert elapsed < 6, elapsed


def test_stdout_and_stderr_are_kept_apart(sleeper):
    """A probe's JSON answer on stdout is never mixed with a warning on stderr."""
    result = probes.exec_in(sleeper, ["python3", "-c", "import json, sys; print('a warning', file=sys.stderr); "
                                                       "print(json.dumps({'ok': 1})); sys.exit(3)"])
    assert result.exit_code == 3 and not result.timed_out
    assert json.loads(result.stdout) == {"ok": 1}
    assert result.stderr.strip() == "a warning"


def test_output_beyond_the_limit_is_not_kept(sleeper):
    """A command that floods stdout cannot fill the grader's memory."""
    result = probes.exec_in(sleeper, ["python3", "-c", "import sys; sys.stdout.write('x' * 3_000_000)"], limit=1000)
    assert result.exit_code == 0 and len(result.stdout) == 1000


def test_a_command_the_image_lacks_is_an_exit_code_not_a_crash(sleeper):
    result = probes.exec_in(sleeper, ["no-such-program-here"])
    assert not result.ok and not result.timed_out


def test_the_processes_are_read_from_the_engine(sleeper):
    """`docker top` names the container's processes with their users, whatever the image holds."""
    found = probes.processes(sleeper)
    assert (found[0].uid, found[0].gid, found[0].argv) == (10001, 10001, ["sleep", "600"])  # PID 1, the oldest


def test_container_logs_are_capped(docker_client, base_images):
    """Every container the grader starts keeps at most its log limit, 5 MB by default
    (graders/limits.py; json-file, one file): one that writes 20 MB to stdout cannot fill the
    engine's disk."""
    session = engine.Session(docker_client)
    try:
        container = session.run("python:3.13-slim", command=[
            "python3", "-c", "import sys\nfor _ in range(20000): sys.stdout.write('x' * 1000 + '\\n')"])
        assert container.wait(timeout=120)["StatusCode"] == 0
        container.reload()
        assert container.attrs["HostConfig"]["LogConfig"] == {
            "Type": "json-file", "Config": {"max-file": "1", "max-size": str(int(limits.value("log_bytes")))}}
        log_path = Path(container.attrs.get("LogPath") or "")
        if log_path.is_file():  # the engine runs on this machine (CI does): measure the file itself
            assert log_path.stat().st_size <= 6 * 1024 * 1024, log_path.stat().st_size
    finally:
        session.close()


def test_a_healthz_that_redirects_is_not_followed(graded):
    """GET /healthz answers 302 to a page that answers 200: following it would wrongly pass.
    serves-on-run fails and says it was redirected and did not follow."""
    report = graded(BAD / "healthz-redirects", 1)
    result = report.result("serves-on-run")
    assert result.status == "fail", result.message
    assert "HTTP 302, a redirect to /ok, which the grader does not follow" in result.message
    assert "redirect" in result.hint


def test_parse_listeners_reads_ipv4_ipv6_and_skips_dockers_dns():
    """/proc/net/tcp and tcp6 rows in LISTEN state (0A), as the kernel writes them."""
    tcp = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
           "   0: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000 10001 0 1 1\n"
           "   1: 0B00007F:A1B2 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 2 1\n"
           "   2: 0100007F:1388 0100007F:D431 01 00000000:00000000 00:00000000 00000000 0 0 3 1\n")
    tcp6 = ("  sl  local_address                         remote_address                        st\n"
            "   0: 00000000000000000000000000000000:1389 00000000000000000000000000000000:0000 0A 0 0 0\n")
    found = probes.parse_listeners([tcp, tcp6])
    assert [str(l) for l in found] == ["[::]:5001", "0.0.0.0:8000"]
    assert all(l.all_interfaces for l in found)
