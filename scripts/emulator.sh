#!/usr/bin/env bash
# The local AWS emulator (moto) for `wpdeploy --local` and the tests.
#
#   scripts/emulator.sh install            install moto from Debian if missing (python deps from the
#                                           machine's release, python3-moto from trixie, unpacked locally)
#   scripts/emulator.sh start [--port N]   start it in the background on a free (or the given) port;
#                                           prints `endpoint=http://127.0.0.1:PORT pid=PID`
#   scripts/emulator.sh stop --pid PID     stop it
#   scripts/emulator.sh status --port N    exit 0 when it answers on that port
#
# Environment: WPDEPLOY_EMULATOR_HOME (default ~/.cache/wpdeploy/emulator) holds the unpacked moto and
# the logs. MOTO_ECS_SERVICE_RUNNING (default 2) and MOTO_ACM_VALIDATION_WAIT (default 2) pass through.
set -euo pipefail

EMU_HOME="${WPDEPLOY_EMULATOR_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/wpdeploy/emulator}"
PY=/usr/bin/python3
SITE="$EMU_HOME/root/usr/lib/python3/dist-packages"
DEPS=(python3-boto3 python3-botocore python3-cryptography python3-dateutil python3-flask python3-flask-cors
      python3-jinja2 python3-requests python3-responses python3-werkzeug python3-xmltodict python3-yaml
      python3-antlr4 python3-jose python3-pyparsing)

log() { echo "emulator: $*" >&2; }

have_moto() { [ -x "$PY" ] && PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}" "$PY" -c 'import moto.server, flask_cors' >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else log "need root to run: $*"; exit 1; fi
}

install() {
  if have_moto; then return 0; fi
  log "installing moto (one time, about a minute) into $EMU_HOME"
  command -v apt-get >/dev/null || { log "apt-get not found: this script installs moto from Debian packages"; exit 1; }
  missing=()
  for p in python3 "${DEPS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    if ! apt-cache policy "${missing[0]}" 2>/dev/null | grep -q 'Candidate: [0-9]'; then as_root apt-get update -qq; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
  # python3-moto is pure Python; trixie has 5.1.1. Fetch just that .deb and unpack it locally.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" > "$tmp/sources.list"
  aptopts=(-o Dir::Etc::SourceList="$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
           -o Dir::State::Lists="$tmp/lists" -o Dir::Cache="$tmp/cache" -o APT::Sandbox::User=root -o Debug::NoLocking=1)
  apt-get "${aptopts[@]}" update -qq >&2
  (cd "$tmp" && apt-get "${aptopts[@]}" download python3-moto >&2)
  mkdir -p "$EMU_HOME/root"
  dpkg-deb -x "$tmp"/python3-moto_*.deb "$EMU_HOME/root"
  have_moto || { log "moto was unpacked but does not import; see: PYTHONPATH=$SITE $PY -c 'import moto.server'"; exit 1; }
  log "moto installed"
}

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

answers() { "$PY" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$1/moto-api/', timeout=2)" >/dev/null 2>&1; }

start() {
  port=""
  while [ $# -gt 0 ]; do case "$1" in --port) port="$2"; shift 2 ;; *) log "unknown option $1"; exit 2 ;; esac; done
  install
  [ -n "$port" ] || port=$(free_port)
  mkdir -p "$EMU_HOME/logs"
  logfile="$EMU_HOME/logs/moto-$port.log"
  MOTO_ECS_SERVICE_RUNNING="${MOTO_ECS_SERVICE_RUNNING:-2}" MOTO_ACM_VALIDATION_WAIT="${MOTO_ACM_VALIDATION_WAIT:-2}" \
    PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}" setsid nohup "$PY" -m moto.server -H 127.0.0.1 -p "$port" >"$logfile" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 100); do
    if answers "$port"; then echo "endpoint=http://127.0.0.1:$port pid=$pid"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { log "moto exited; see $logfile"; tail -5 "$logfile" >&2; exit 1; }
    sleep 0.2
  done
  log "moto did not answer on port $port within 20 s; see $logfile"; kill "$pid" 2>/dev/null; exit 1
}

stop() {
  [ "${1:-}" = "--pid" ] && [ -n "${2:-}" ] || { log "usage: emulator.sh stop --pid PID"; exit 2; }
  kill "$2" 2>/dev/null || true
}

status() {
  [ "${1:-}" = "--port" ] && [ -n "${2:-}" ] || { log "usage: emulator.sh status --port PORT"; exit 2; }
  answers "$2"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  install) install ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  status) status "$@" ;;
  *) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
