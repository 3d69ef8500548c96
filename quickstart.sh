#!/usr/bin/env bash
# Install ktag's Debian packages, build it, and tag the bundled sample
# article in-process (no daemon).  Run as root on Debian 12:  ./quickstart.sh
set -euo pipefail
cd "$(dirname "$0")"

packages=(build-essential meson ninja-build pkg-config
          libicu-dev libzmq3-dev libmsgpack-dev libjansson-dev libsimdjson-dev libcsv-dev
          libmicrohttpd-dev scdoc
          python3 python3-zmq python3-msgpack python3-pytest)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "quickstart: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
echo "quickstart: built; tagging examples/article_ko.txt" >&2
build/clients/cli/ktag -f pretty examples/article_ko.txt
