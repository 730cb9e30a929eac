#!/usr/bin/env bash
# The helper functions of an exported lab script. netns.ts pastes them in after the generated
# variables (PREFIX, STATE, NODE_NAMES, NODE_NS; PY is set by pick_python); they live in a file
# of their own so that shellcheck lints them. Everything above the first blank line stays out.
# shellcheck disable=SC2154

die() { echo "lab.sh: $*" >&2; exit 1; }
need() { local t; for t in "$@"; do command -v "$t" >/dev/null || die "the '$t' tool is missing (apt-get install iproute2 iptables util-linux procps)"; done; }
pick_python() {
  # /usr/bin first: listeners run as other uids, which cannot reach a python under /root.
  PY=/usr/bin/python3; [[ -x $PY ]] || PY=$(command -v python3) || die "python3 is missing (the lab's listeners are python3)"
}
sysw() { # NS KEY=VALUE...
  local ns=$1; shift
  ip netns exec "$ns" sysctl -q -w "$@" >/dev/null || die "cannot set these sysctls in namespace $ns: $*"
}
sysw_bridge() {
  # br_netfilter's sysctls exist per namespace (Linux >= 5.3) once the module is loaded.
  if ! ip netns exec "$1" test -e "/proc/sys/$2"; then
    modprobe br_netfilter 2>/dev/null || true
    if ! ip netns exec "$1" test -e "/proc/sys/$2"; then
      [[ $4 == 0 ]] && return 0
      die "$2 does not exist in namespace $1: is br_netfilter available? (modprobe br_netfilter)"
    fi
  fi
  sysw "$1" "$2=$3"
}
wait_up() {
  local ns=$1 i ifn l ok; shift
  for ((i = 0; i < 200; i++)); do
    ok=1
    for ifn in "$@"; do
      l=$(ip -n "$ns" -d -o link show dev "$ifn") || die "interface $ifn is missing in $ns"
      if [[ $l != *LOWER_UP* || $l != *"state UP"* ]]; then ok=0; break; fi
      if [[ $l == *bridge_slave* && $l != *"state forwarding"* ]]; then ok=0; break; fi
    done
    if ((ok)); then return 0; fi
    sleep 0.05
  done
  die "interface $ifn in $ns did not come up within 10 s: $l"
}
APPS=()
start_app() { # NS NODE UID APP PROTO ADDR PORT SOURCE
  local n=${#APPS[@]} log
  log="$STATE/app-$n.log"
  ip netns exec "$1" setpriv --reuid "$3" --regid "$3" --clear-groups "$PY" -u "$STATE/apps.py" serve "$2" "$4" "$5" "$6" "$7" "$8" >"$log" 2>&1 &
  echo "$!" >> "$STATE/pids"
  APPS+=("$! $1 $5 $7 $log $2")
}
wait_apps() {
  local a pid ns proto port log node i
  for a in "${APPS[@]}"; do
    read -r pid ns proto port log node <<< "$a"
    for ((i = 0; ; i++)); do
      kill -0 "$pid" 2>/dev/null || die "the $proto:$port listener of $node exited: $(tail -n 3 "$log")"
      if [[ -n $(ip netns exec "$ns" ss -Hln --"$proto" "sport = :$port") ]]; then break; fi
      ((i < 200)) || die "the $proto:$port listener of $node is not listening after 10 s"
      sleep 0.05
    done
  done
}
do_down() {
  local pid ns
  if [[ -f "$STATE/pids" ]]; then
    while read -r pid; do kill -TERM "$pid" 2>/dev/null || true; done < "$STATE/pids"
  fi
  for ns in "${NODE_NS[@]}"; do
    [[ -e "/run/netns/$ns" ]] || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns delete "$ns" 2>/dev/null || true
    [[ ! -e "/run/netns/$ns" ]] || echo "lab.sh: could not delete namespace $ns" >&2
  done
  rm -rf "$STATE"
}
up_failed() {
  trap - ERR
  echo "lab.sh: up failed at line $1: $2; removing what was built" >&2
  do_down >/dev/null 2>&1 || true
  exit 1
}
ns_of() {
  local i
  for i in "${!NODE_NAMES[@]}"; do
    if [[ ${NODE_NAMES[$i]} == "$1" ]]; then printf '%s\n' "${NODE_NS[$i]}"; return 0; fi
  done
  return 1
}
