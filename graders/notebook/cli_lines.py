"""The `docker` command lines a Lab's builds and runs stand for, as a learner would type them.

The Lab builds through the buildx CLI and runs containers through the Docker SDK; these lines say
what each one is in plain CLI terms, so that a learner can do the same alone in a terminal. The
Lab's own additions (its labels, its resource limits, a temporary build context) are named in a
trailing comment rather than spelled out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .commands import command_line

# SDK run() options with a plain `docker run` flag: option -> (flag, how a value becomes arguments).
_SWITCHES = {"read_only": "--read-only", "init": "--init", "privileged": "--privileged"}
_REPEATED = {"cap_drop": "--cap-drop", "cap_add": "--cap-add", "security_opt": "--security-opt"}
_SINGLE = {"user": "--user", "mem_limit": "--memory", "pids_limit": "--pids-limit", "stop_signal": "--stop-signal",
           "working_dir": "--workdir", "entrypoint": "--entrypoint", "network_mode": "--network",
           "name": "--name"}
_QUIET = {"labels", "detach", "command", "auto_remove", "remove"}   # the Lab's own, or said otherwise


def build_line(tag: str, build_args: Mapping[str, str] | None = None, where: str = "") -> str:
    """`$ docker buildx build --load -t TAG [--build-arg K=V…] .` with a comment saying where `.` is."""
    argv = ["docker", "buildx", "build", "--load", "-t", tag]
    for key, value in (build_args or {}).items():
        argv += ["--build-arg", f"{key}={value}"]
    argv.append(".")
    note = f"   # in {where}" if where else ""
    return command_line(argv) + note + " (plus the Lab's --label flags)"


def _publish(ports: Mapping) -> list[str]:
    args = []
    for container_port, binding in ports.items():
        port = str(container_port).split("/")[0]
        if isinstance(binding, tuple):
            host, host_port = binding
            args += ["-p", f"{host}:{host_port or ''}:{port}"]
        elif binding is None:
            args += ["-p", port]
        else:
            args += ["-p", f"{binding}:{port}"]
    return args


def run_line(image: str, options: Mapping, command: Sequence[str] | None = None, one_off: bool = False) -> str:
    """The `docker run` line for a Lab run: `-d` (or `--rm` for a one-off), the published port,
    and every option that has a flag; options without one are named in the comment."""
    argv = ["docker", "run", "--rm" if one_off else "-d"]
    other = []
    for key, value in options.items():
        if key == "ports":
            argv += _publish(value)
        elif key == "environment":
            items = value.items() if isinstance(value, Mapping) else (v.partition("=")[::2] for v in value)
            for name, setting in items:
                argv += ["-e", f"{name}={setting}"]
        elif key == "tmpfs":
            for path, opts in (value.items() if isinstance(value, Mapping) else ((v, "") for v in value)):
                argv += ["--tmpfs", f"{path}:{opts}" if opts else path]
        elif key in _SWITCHES:
            if value:
                argv.append(_SWITCHES[key])
        elif key in _REPEATED:
            for item in value or []:
                argv += [_REPEATED[key], str(item)]
        elif key in _SINGLE:
            argv += [_SINGLE[key], str(value)]
        elif key == "network_disabled" and value:
            argv += ["--network", "none"]
        elif key not in _QUIET:
            other.append(key)
    argv.append(image)
    argv += list(command or [])
    extra = f"; SDK options {', '.join(other)}" if other else ""
    return command_line(argv) + f"   # plus the Lab's label and resource limits{extra}"
