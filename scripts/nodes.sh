#!/usr/bin/env bash
# Start or remove local podman node containers (systemd inside) from the
# node image, for the demo and the benchmarks.
#   scripts/nodes.sh up NAME...     start (or keep) them and wait for systemd
#   scripts/nodes.sh down NAME...   remove them
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

action=${1:?usage: nodes.sh up|down NAME...}
shift
case "$action" in
  up)
    image=$("$AGENT_MACHINE_REPO/scripts/node-image.sh")
    for name in "$@"; do
      if ! podman container exists "$name"; then
        podman run -d --name "$name" --hostname "$name" --privileged --systemd=always \
          --label agent-machine.sourceos.io/node=true "$image" /sbin/init >/dev/null
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
