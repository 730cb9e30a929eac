#!/usr/bin/env bash
# The command dispatch at the end of an exported lab script (do_up and the variables come before it).
# Everything above the first blank line stays out of the script.
# shellcheck disable=SC2154

case "${1:-}" in
  up) do_up ;;
  down) do_down ;;
  exec)
    [[ $# -ge 3 ]] || die "usage: bash $0 exec NODE CMD..."
    ns=$(ns_of "$2") || die "no node '$2' (nodes: ${NODE_NAMES[*]})"
    shift 2
    exec ip netns exec "$ns" "$@" ;;
  nodes) for i in "${!NODE_NAMES[@]}"; do printf '%s\t%s\n' "${NODE_NAMES[$i]}" "${NODE_NS[$i]}"; done ;;
  *) echo "usage: bash $0 up | down | exec NODE CMD... | nodes" >&2; exit 2 ;;
esac
