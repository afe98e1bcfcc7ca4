#!/usr/bin/env bash
# Start or remove local podman node containers (systemd inside) from the
# node image, for the demo and the benchmarks.
#   scripts/nodes.sh up NAME...     start (or keep) them and wait for systemd
#   scripts/nodes.sh down NAME...   remove them
# AGENT_MACHINE_NODE_NETWORK names a podman network (created when missing) the nodes join, so they
# can reach each other (the default bridge does not carry traffic between containers on every host).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

action=${1:?usage: nodes.sh up|down NAME...}
shift
case "$action" in
  up)
    image=$("$AGENT_MACHINE_REPO/scripts/node-image.sh")
    network=${AGENT_MACHINE_NODE_NETWORK:-}
    network_args=()
    if [ -n "$network" ]; then
      podman network exists "$network" || podman network create "$network" >/dev/null
      network_args=(--network "$network")
    fi
    for name in "$@"; do
      if ! podman container exists "$name"; then
        podman run -d --name "$name" --hostname "$name" --privileged --systemd=always "${network_args[@]}" \
          --label agent-machine.sourceos.io/node=true "$image" /sbin/init >/dev/null
      elif [ -n "$network" ] && ! podman inspect "$name" --format '{{json .NetworkSettings.Networks}}' | grep -q "\"$network\""; then
        podman network connect "$network" "$name"
      fi
      podman start "$name" >/dev/null
    done
    for name in "$@"; do
      for _ in $(seq 1 60); do
        state=$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)
        case "$state" in running|degraded) break ;; esac
        sleep 1
      done
      echo "$name: systemd ${state:-unknown}"
    done
    ;;
  down)
    for name in "$@"; do
      podman rm -f -t 2 "$name" >/dev/null 2>&1 || true
    done
    ;;
  *)
    echo "usage: nodes.sh up|down NAME..." >&2
    exit 2
    ;;
esac
