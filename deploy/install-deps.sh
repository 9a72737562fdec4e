#!/usr/bin/env bash
# Installs, with apt-get, exactly the Debian packages vigie builds and runs
# with, when any is missing. Safe to run again: does nothing when all are there.
set -euo pipefail

PKGS=(build-essential cmake pkg-config
      librdkafka-dev libavro-dev libjansson-dev libhiredis-dev
      libopenblas-dev zlib1g-dev check libsubunit-dev libcurl4-openssl-dev libssl-dev
      redis-server)

missing=()
for p in "${PKGS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
                missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
        echo "vigie: all build and run dependencies are installed"
        exit 0
fi

echo "vigie: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        "${missing[@]}"
