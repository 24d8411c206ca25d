#!/usr/bin/env bash
# Make sure a Docker engine with BuildKit (buildx) answers, provisioning one when none does.
#
# - An engine already answers (Docker Desktop, a system service, DOCKER_HOST): use it.
# - Debian-family machine, as root, no engine: install Debian trixie's docker.io (26.x),
#   docker-cli and docker-buildx next to the machine's own containerd and runc (a trixie source
#   reusing the URI of the configured Debian source, bookworm kept as the default release), then
#   start dockerd and wait until it answers.
# - Anything else: say exactly what to install, exit 2.
set -euo pipefail

log() { printf '[engine] %s\n' "$*" >&2; }
die() { printf '[engine] ERROR: %s\n' "$*" >&2; exit 2; }

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
buildx_present() { docker buildx version >/dev/null 2>&1; }

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/course-dockerd.log}
WAIT_SECONDS=${ENGINE_WAIT_SECONDS:-60}

debian_uri() {
  # The URI of the machine's configured Debian archive (deb822 or one-line format).
  local uri=""
  if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
    uri=$(awk 'tolower($1)=="uris:" {for (i=2;i<=NF;i++) if ($i ~ /\/debian\/?$/) {print $i; exit}}' \
      /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1=="deb" {for (i=2;i<=NF;i++) if ($i ~ /^(https?|file|mirror):.*\/debian\/?$/) {print $i; exit}}' \
      /etc/apt/sources.list | head -n1)
  fi
  printf '%s' "${uri:-http://deb.debian.org/debian}"
}

install_engine_debian() {
  local codename uri
  codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
  uri=$(debian_uri)
  log "installing Docker Engine from Debian trixie packages (machine: ${codename:-unknown}, archive: $uri)"
  if [ "$codename" != "trixie" ]; then
    if [ ! -f /etc/apt/sources.list.d/course-trixie.sources ]; then
      cat >/etc/apt/sources.list.d/course-trixie.sources <<SRC
# Added by the Docker packaging course (scripts/ensure-engine.sh) for docker.io 26.x.
Types: deb
URIs: $uri
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    if [ -n "$codename" ]; then
      printf 'APT::Default-Release "%s";\n' "$codename" >/etc/apt/apt.conf.d/99course-default-release
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2 || die "apt-get update failed: check the machine's network and apt sources"
  local target=""
  [ "$codename" != "trixie" ] && target="/trixie"
  apt-get install -y -q --no-install-recommends \
    "docker.io$target" "docker-cli$target" "docker-buildx$target" containerd runc \
    iptables ca-certificates >&2 \
    || die "apt-get install of docker.io, docker-cli, docker-buildx failed (see above)"
}

start_dockerd() {
  command -v dockerd >/dev/null || die "dockerd is not installed"
  if ! pgrep -x dockerd >/dev/null; then
    log "starting dockerd (log: $DOCKERD_LOG)"
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    # setsid: the daemon outlives the shell that started it.
    setsid nohup dockerd >"$DOCKERD_LOG" 2>&1 </dev/null &
  fi
  local waited=0
  until engine_answers; do
    if [ "$waited" -ge "$WAIT_SECONDS" ]; then
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      die "dockerd did not answer within ${WAIT_SECONDS}s (log above, full log in $DOCKERD_LOG)"
    fi
    sleep 1; waited=$((waited + 1))
  done
  log "dockerd answers after ${waited}s"
}

main() {
  if engine_answers; then
    buildx_present || die "the engine answers but the buildx plugin is missing: install docker-buildx (Debian/Ubuntu: apt-get install docker-buildx; Docker Desktop ships it)"
    log "engine answers: $(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}')"
    return 0
  fi
  if [ -n "${DOCKER_HOST:-}" ]; then
    die "DOCKER_HOST=$DOCKER_HOST is set but no engine answers there: start that engine, or unset DOCKER_HOST"
  fi
  if [ "$(id -u)" != 0 ]; then
    die "no Docker engine answers and this is not root: start Docker Desktop, or install Docker Engine (https://docs.docker.com/engine/install/) and add yourself to the docker group, or run as root on Debian to let this script install one"
  fi
  if ! command -v apt-get >/dev/null || ! grep -qiE '^(ID|ID_LIKE)=.*debian' /etc/os-release; then
    die "no Docker engine answers and this is not a Debian-family machine: install Docker Engine with the buildx plugin (https://docs.docker.com/engine/install/) and start it"
  fi
  if ! command -v dockerd >/dev/null || ! buildx_present; then
    install_engine_debian
  fi
  start_dockerd
  buildx_present || die "buildx is still missing after install: apt-get install docker-buildx"
  log "engine ready: $(docker version --format 'server {{.Server.Version}}') with $(docker buildx version | head -n1)"
}

main "$@"
