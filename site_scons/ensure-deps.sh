#!/bin/sh
# Make sure the Debian packages Autarky needs are installed.
#   sh site_scons/ensure-deps.sh          build, run and test
#   sh site_scons/ensure-deps.sh bench    also the Linux reference benchmark
# As root, missing packages are installed with apt-get; otherwise the exact
# command is printed and the script fails. A no-op when all are present.
set -eu

PACKAGES="scons gcc-arm-none-eabi picolibc-arm-none-eabi libnewlib-arm-none-eabi \
qemu-system-arm gcc libc6-dev libcunit1-dev gdb-multiarch python3"
if [ "${1:-}" = "bench" ]; then
    PACKAGES="$PACKAGES gcc-arm-linux-gnueabihf python3-matplotlib"
fi

# `scons bench` fetches Debian's armhf kernel package (apt-get download), so
# dpkg must know the armhf architecture; site_scons/linux_bench.py retries the
# index update itself, as it can fail transiently for one architecture.
if [ "${1:-}" = "bench" ] && ! dpkg --print-foreign-architectures | grep -qx armhf; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "ensure-deps: the Linux reference benchmark needs Debian's armhf package index; run this, then try again:"
        echo "    sudo dpkg --add-architecture armhf && sudo apt-get update"
        exit 1
    fi
    dpkg --add-architecture armhf
    apt-get update -q || echo "ensure-deps: apt-get update reported errors (linux_bench.py retries)"
fi

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "ensure-deps: missing Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-deps: run this, then try again:"
    echo "    sudo apt-get update && sudo apt-get install -y$missing"
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
    if apt-get update -q && apt-get install -y -q $missing; then
        exit 0
    fi
    echo "ensure-deps: apt-get failed (attempt $attempt), retrying"
    sleep 5
done
echo "ensure-deps: could not install:$missing"
exit 1
