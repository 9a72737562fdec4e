#!/usr/bin/env bash
# Installs Debian's chromium (headless browser of the HTML report's test,
# tests/integration/check_report.c) with apt-get, as root or through sudo,
# when `chromium` is not on PATH, with fonts-liberation (only recommended by
# the package, left out by --no-install-recommends: without a font the
# screenshot has no text). Safe to run again: does nothing when it is there.
#
# Exit status: 0 chromium is there (or now installed), 1 it could not be
# installed (no root and no sudo, no network...): the Chromium test then
# SKIPs, saying so; nothing else depends on it.
set -uo pipefail

if command -v chromium >/dev/null 2>&1; then
        echo "vigie: chromium is installed ($(command -v chromium))"
        exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1 || ! sudo -n true 2>/dev/null; then
                echo "vigie: chromium is missing and cannot be installed" \
                     "(not root, no password-less sudo): the HTML report's" \
                     "browser test will be SKIPPED" >&2
                exit 1
        fi
        SUDO="sudo -n"
fi

echo "vigie: installing chromium (for the HTML report's browser test)"
if ! { $SUDO apt-get update -qq &&
       DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
               --no-install-recommends chromium fonts-liberation; }; then
        echo "vigie: apt-get could not install chromium: the HTML report's" \
             "browser test will be SKIPPED" >&2
        exit 1
fi
if ! command -v chromium >/dev/null 2>&1; then
        echo "vigie: chromium installed but not on PATH: the HTML report's" \
             "browser test will be SKIPPED" >&2
        exit 1
fi
echo "vigie: chromium installed ($(chromium --version 2>/dev/null || echo ?))"
