"""Which compilers and build-only tools does this image hold? (no-build-tools-in-final)

Run as `python -c <this> COMMANDS PACKAGES` with the image's own Python: COMMANDS and PACKAGES
are regular expressions (full match) the grader keeps. Reports every executable on PATH (and in
the standard bin directories, in case PATH was narrowed) whose name matches COMMANDS, with the
file it resolves to and the Debian package owning it (from /var/lib/dpkg/info/*.list), and every
package dpkg's status file lists as installed whose name matches PACKAGES. Prints one JSON object.
"""

import glob
import json
import os
import re
import sys

STANDARD_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
STATUS = "/var/lib/dpkg/status"


def installed_packages(pattern):
    found = []
    try:
        with open(STATUS, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return None
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(" "))
        name, status = fields.get("Package", ""), fields.get("Status", "")
        if status.endswith(" installed") and pattern.fullmatch(name):
            found.append(name)
    return sorted(set(found))


def owners(paths):
    """path -> the package whose file list names it (with or without the /usr merge)."""
    wanted = {}
    for path in paths:
        for alias in {path, path.replace("/usr/bin/", "/bin/", 1), path.replace("/bin/", "/usr/bin/", 1)}:
            wanted.setdefault(alias, set()).add(path)
    found = {}
    for listing in glob.glob("/var/lib/dpkg/info/*.list"):
        package = os.path.basename(listing)[:-5].split(":", 1)[0]
        try:
            with open(listing, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    for path in wanted.get(line.rstrip("\n"), ()):
                        found.setdefault(path, package)
        except OSError:
            continue
    return found


def main():
    commands, packages = re.compile(sys.argv[1]), re.compile(sys.argv[2])
    dirs = [d for d in os.environ.get("PATH", "").split(":") if d] + list(STANDARD_DIRS)
    tools = {}          # the file a tool resolves to -> every name and path that reaches it
    for directory in dict.fromkeys(os.path.realpath(d) for d in dirs):   # /bin is /usr/bin on merged-/usr systems
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            path = os.path.join(directory, name)
            real = os.path.realpath(path)
            if not commands.fullmatch(name) or not os.path.isfile(real) or not os.access(real, os.X_OK):
                continue
            tool = tools.setdefault(real, {"names": [], "paths": [], "real": real})
            if name not in tool["names"]:
                tool["names"].append(name)
            if path not in tool["paths"]:
                tool["paths"].append(path)
    tools = sorted(tools.values(), key=lambda t: t["names"])
    owned = owners([t["real"] for t in tools] + [p for t in tools for p in t["paths"]])
    for tool in tools:
        tool["package"] = owned.get(tool["real"]) or next((owned[p] for p in tool["paths"] if p in owned), None)
    print(json.dumps({"tools": tools, "packages": installed_packages(packages), "path": os.environ.get("PATH", "")}))


main()
