#!/usr/bin/env bash
# Build the llama.cpp provider image from Debian sid packages (no registry is
# needed: llama-server comes from sid's llama.cpp-tools and needs sid's libc)
# and import it into podman. Cached: the tag is a hash of this recipe, so it
# is rebuilt only when the recipe changes. Prints the image name.
#
# The image runs llama-server as its entrypoint, like the upstream server
# image, so a rendered unit's Exec= carries only the server's arguments;
# curl is there for the unit's health command.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

SUITE=sid
PACKAGES=llama.cpp-tools,curl
ENTRYPOINT='["/usr/bin/llama-server"]'
recipe_hash=$( (cat "${BASH_SOURCE[0]}"; echo "$SUITE $PACKAGES $ENTRYPOINT") | sha256sum | cut -c1-12)
image="localhost/agent-machine-llama:$SUITE-$recipe_hash"

if podman image exists "$image"; then
  echo "$image"
  exit 0
fi

rootfs=$(mktemp -d /var/tmp/agent-machine-llama-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "building $image (debootstrap $SUITE, about a minute)" >&2
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" http://deb.debian.org/debian >&2
# Keep the image small: no apt caches, no documentation.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
if [ ! -x "$rootfs/usr/bin/llama-server" ]; then
  echo "llama-server is missing from the $SUITE rootfs (package llama.cpp-tools)" >&2
  exit 1
fi
tar -C "$rootfs" -c . | podman import --change "ENTRYPOINT $ENTRYPOINT" --change 'CMD ["--help"]' - "$image" >&2
echo "$image"
