#!/usr/bin/env bash
# Loop devices are a host-wide resource: detach the ones the storage tests
# attached (backing files under /var/tmp/agent-machine-disks) and that a
# removed node container left behind.
set -euo pipefail
command -v losetup >/dev/null || exit 0
losetup -l -n -O NAME,BACK-FILE 2>/dev/null | awk '$2 ~ /\/var\/tmp\/agent-machine-disks\// {print $1}' | while read -r device; do
  losetup -d "$device" 2>/dev/null || true
done
