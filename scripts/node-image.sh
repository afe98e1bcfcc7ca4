#!/usr/bin/env bash
# Build the managed-node image from Debian packages (no registry is needed)
# and import it into podman. Cached: the tag is a hash of this recipe, so it
# is rebuilt only when the recipe changes. Prints the image name.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

SUITE=trixie
PACKAGES=python3,systemd,systemd-sysv,lvm2,podman,sudo,iproute2,procps,udev,e2fsprogs,xfsprogs,nftables,openssh-server
recipe_hash=$( (cat "${BASH_SOURCE[0]}"; echo "$SUITE $PACKAGES") | sha256sum | cut -c1-12)
image="localhost/agent-machine-node:$SUITE-$recipe_hash"

if podman image exists "$image"; then
  echo "$image"
  exit 0
fi

rootfs=$(mktemp -d /var/tmp/agent-machine-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "building $image (debootstrap $SUITE, about a minute)" >&2
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" http://deb.debian.org/debian >&2
# Keep the image small and the boot quiet: no apt caches, no getty on consoles.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
ln -sf /dev/null "$rootfs/etc/systemd/system/getty.target"
ln -sf /dev/null "$rootfs/etc/systemd/system/console-getty.service"
echo "agent-machine-node" > "$rootfs/etc/hostname"
# Each node gets its own machine id at boot: a shared one gives every node the same MAC address
# (udev derives it from the machine id), and nodes on one network then cannot reach each other.
: > "$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"
# sshd lets the fleet benchmark compare the podman connection with SSH and pipelining; root logs in
# with a key only (Debian's default), and no key is authorized until the benchmark adds its own.
tar -C "$rootfs" -c . | podman import --change 'CMD ["/sbin/init"]' - "$image" >&2
echo "$image"
