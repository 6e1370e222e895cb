#!/bin/sh
# with-small-disk.sh SIZE DIR COPY_TO CMD...
# Runs CMD in a private mount namespace where DIR is a fresh tmpfs of SIZE (e.g. 400k): a disk that fills up.
# Afterwards DIR's contents are copied to COPY_TO (the tmpfs goes away with the namespace) and the script
# exits with CMD's status. Needs root (unshare -m, mount); says so and exits 90 otherwise.
set -u
if [ "${ENGAGE_SMALL_DISK_INSIDE:-}" != 1 ]; then
    ENGAGE_SMALL_DISK_INSIDE=1 exec unshare -m --propagation private "$0" "$@"
fi
size=$1 dir=$2 copy_to=$3
shift 3
mkdir -p "$dir" "$copy_to"
if ! mount -t tmpfs -o "size=$size" tmpfs "$dir"; then
    echo "with-small-disk.sh: cannot mount a tmpfs on $dir (root and unshare -m are needed)" >&2
    exit 90
fi
"$@"
status=$?
cp -a "$dir/." "$copy_to/"
exit $status
