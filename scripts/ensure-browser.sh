#!/usr/bin/env bash
# Make sure a Chromium is installed for the browser test (tests/test_lab_browser.py), which
# drives it with Playwright for Python. Playwright's own browser download (`playwright install`)
# is never used: the test drives the system's Chromium.
#
# - A Chromium is already there ($DOCKERCOURSE_CHROMIUM, chromium, chromium-browser): use it.
# - Debian-family machine, as root: apt-get install Debian's chromium (from the release's
#   -security suite when the machine has one: it carries the current Chromium).
# - Anything else: say what to install. Exit 2 when CI=true (the browser test would fail there),
#   else 0: the rest of `make test` runs and the browser test skips with the same reason.
set -euo pipefail

log() { printf '[browser] %s\n' "$*" >&2; }

found() {
  local candidate
  for candidate in "${DOCKERCOURSE_CHROMIUM:-}" chromium chromium-browser; do
    [ -n "$candidate" ] && command -v "$candidate" >/dev/null && { command -v "$candidate"; return 0; }
  done
  return 1
}

cannot() {
  log "no Chromium for the browser test: $*"
  case "${CI:-}" in 1|true|yes) exit 2 ;; *) log "the browser test will be skipped"; exit 0 ;; esac
}

if chromium=$(found); then
  log "using $chromium ($("$chromium" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  cannot "install Debian/Ubuntu's chromium (sudo apt-get install chromium), or set DOCKERCOURSE_CHROMIUM to a Chromium binary"
fi
if ! command -v apt-get >/dev/null || ! grep -qiE '^(ID|ID_LIKE)=.*debian' /etc/os-release; then
  cannot "this is not a Debian-family machine: install Chromium and set DOCKERCOURSE_CHROMIUM to its binary"
fi

export DEBIAN_FRONTEND=noninteractive
codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
log "installing Debian's chromium (machine: ${codename:-unknown})"
apt-get update -q >&2 || cannot "apt-get update failed: check the machine's network and apt sources"
target=()
# An APT::Default-Release pin (scripts/ensure-engine.sh sets one) ranks the release above its
# -security suite, which would pick an older Chromium: ask for the security suite explicitly.
if [ -n "$codename" ] && apt-cache policy | grep -q " ${codename}-security/"; then
  target=(-t "${codename}-security")
fi
apt-get install -y -q --no-install-recommends "${target[@]}" chromium fonts-dejavu-core >&2 \
  || cannot "apt-get install chromium failed (see above)"
chromium=$(found) || cannot "chromium is still missing after apt-get install"
log "installed $chromium ($("$chromium" --version 2>/dev/null || echo 'version unknown'))"
