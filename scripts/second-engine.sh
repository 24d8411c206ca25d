#!/usr/bin/env bash
# Start, stop or describe an extra Docker engine on this machine, beside the main one, for the
# classroom tests and benchmarks (`python -m graders classroom --engine ...` spreads a class over
# engines; two engines on one machine are how that is tested here).
#
#   scripts/second-engine.sh start    # prints DOCKER_HOST=unix:///run/dockercourse-engine2.sock
#   scripts/second-engine.sh status   # exit 0 when it answers
#   scripts/second-engine.sh stop     # stops it; its images stay in its data root for next time
#   scripts/second-engine.sh purge    # stops it and removes its data root
#
# Everything of its own, so the main engine (and the other people using it) never notice it:
# - its own --data-root, --exec-root (hence its own managed containerd), --pidfile and unix socket;
# - its own default bridge, created here (dcbr2, 10.212.0.1/24; `--bip` alone would reuse
#   docker0, the main engine's), and its own pool for user networks (10.213.0.0/16 in /24s), so
#   no subnet overlaps the main engine's 172.17/16 and 192.168/20s;
# - --iptables=false: two daemons editing the same DOCKER chains clash. Published ports still
#   work through docker-proxy (userland proxy); the three rules it needs to reach PyPI and Debian
#   (MASQUERADE out of 10.212.0.0/15, FORWARD accepts to and from it) are added here with the
#   comment "dockercourse-engine2" and removed at stop.
# Settings: ENGINE2_NAME (default dockercourse-engine2), ENGINE2_WAIT_SECONDS (default 60).
# Root only (dockerd needs it). The base images are not loaded here: `python -m graders
# classroom` copies the missing ones from the first engine (docker save | docker load).
set -euo pipefail

NAME=${ENGINE2_NAME:-dockercourse-engine2}
SOCKET=/run/$NAME.sock
PIDFILE=/run/$NAME.pid
EXEC_ROOT=/run/$NAME
DATA_ROOT=/var/lib/$NAME
LOG=/var/log/$NAME.log
BRIDGE=dcbr2
BRIDGE_CIDR=10.212.0.1/24
POOL=10.213.0.0/16
OWN=10.212.0.0/15          # the bridge and the pool
WAIT_SECONDS=${ENGINE2_WAIT_SECONDS:-60}
COMMENT=dockercourse-engine2

log() { printf '[engine2] %s\n' "$*" >&2; }
die() { printf '[engine2] ERROR: %s\n' "$*" >&2; exit 2; }

answers() { DOCKER_HOST=unix://$SOCKET docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

running_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid; pid=$(cat "$PIDFILE")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && printf '%s' "$pid"
}

rules() {  # $1: -A (add) or -D (delete); each rule carries the comment, so stop finds its own
  local op=$1
  iptables -t nat "$op" POSTROUTING -s "$OWN" ! -d "$OWN" -m comment --comment "$COMMENT" -j MASQUERADE
  local position=(); [ "$op" = -A ] && { op=-I; position=(1); }
  iptables "$op" FORWARD "${position[@]}" -s "$OWN" -m comment --comment "$COMMENT" -j ACCEPT
  iptables "$op" FORWARD "${position[@]}" -d "$OWN" -m conntrack --ctstate RELATED,ESTABLISHED \
    -m comment --comment "$COMMENT" -j ACCEPT
}

remove_rules() {  # every copy (a killed script may have added them twice)
  while iptables -t nat -C POSTROUTING -s "$OWN" ! -d "$OWN" -m comment --comment "$COMMENT" -j MASQUERADE 2>/dev/null; do
    rules -D 2>/dev/null || break
  done
}

start() {
  [ "$(id -u)" = 0 ] || die "run as root: dockerd needs it"
  command -v dockerd >/dev/null || die "dockerd is not installed (scripts/ensure-engine.sh installs it)"
  if running_pid >/dev/null && answers; then
    log "already running (pid $(running_pid))"
    echo "DOCKER_HOST=unix://$SOCKET"
    return 0
  fi
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  remove_rules
  rules -A
  mkdir -p "$EXEC_ROOT" "$DATA_ROOT" "$(dirname "$LOG")"
  # Its network state starts fresh every time: restarted on a data root that remembers its
  # networks, dockerd 26 deletes the host's docker0 (measured here), the MAIN engine's bridge,
  # and every container on the default bridge of the main engine then fails to start.
  rm -rf "$DATA_ROOT/network"
  local had_docker0=no; ip link show docker0 >/dev/null 2>&1 && had_docker0=yes
  log "starting dockerd $NAME (socket $SOCKET, data $DATA_ROOT, log $LOG)"
  # setsid: the daemon outlives the shell (and the test session's process group) that started it.
  setsid nohup dockerd \
    --host "unix://$SOCKET" --pidfile "$PIDFILE" \
    --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" \
    --bridge "$BRIDGE" --default-address-pool "base=$POOL,size=24" \
    --iptables=false --ip-masq=false --ip6tables=false \
    >"$LOG" 2>&1 </dev/null &
  local started=$SECONDS
  export -f answers; export SOCKET
  if ! timeout "$WAIT_SECONDS" bash -c 'until answers; do sleep 1; done'; then
    tail -n 20 "$LOG" >&2 || true
    die "$NAME did not answer within ${WAIT_SECONDS}s (log above, full log in $LOG)"
  fi
  if [ "$had_docker0" = yes ] && ! ip link show docker0 >/dev/null 2>&1; then
    die "starting $NAME removed the main engine's docker0 bridge: restart the main dockerd"
  fi
  log "answers after $((SECONDS - started))s"
  echo "DOCKER_HOST=unix://$SOCKET"
}

stop() {
  local pid
  if pid=$(running_pid); then
    log "stopping dockerd $NAME (pid $pid)"
    kill -TERM "$pid"
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$waited" -ge 30 ]; then kill -KILL "$pid" 2>/dev/null || true; break; fi
      sleep 1; waited=$((waited + 1))
    done
  else
    log "not running"
  fi
  remove_rules
  if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link delete "$BRIDGE"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  purge) stop; rm -rf "$DATA_ROOT" "$EXEC_ROOT"; log "removed $DATA_ROOT" ;;
  status)
    if answers; then echo "DOCKER_HOST=unix://$SOCKET"; else log "$NAME does not answer"; exit 1; fi ;;
  *) die "usage: $0 start|stop|purge|status" ;;
esac
