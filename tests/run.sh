#!/usr/bin/env bash
# The whole test suite, one command on a fresh Debian 12 machine:
#
#   ./tests/run.sh
#
# Installs what is missing (deploy/install-deps.sh), builds with warnings as
# errors, runs the unit tests, then the integration tests (each against its
# own vigie-broker and private redis-server on loopback, started by
# tests/run_with_services.sh; Chromium for the HTML report's test is
# installed first by tests/install-chromium.sh: if it cannot be, that
# test is SKIPPED, and says so), then the unit tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer, and the test of
# the two-thread rendering stage under ThreadSanitizer.
#
# Environment: VG_TEST_ASAN=0 skips the sanitizer pass; VG_TEST_LABEL=unit
# runs one label only; CTEST_PARALLEL_LEVEL as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)

bash deploy/install-deps.sh

build() { # dir type
        cmake -S . -B "$1" -DCMAKE_BUILD_TYPE="$2" -DVG_WERROR=ON >/dev/null
        cmake --build "$1" -j"$(nproc)" -- --no-print-directory -s
}

echo "== build (Debug, -Werror)"
build build-test Debug
labels=${VG_TEST_LABEL:-unit integration}
for label in $labels; do
        if [ "$label" = integration ]; then
                echo "== chromium (the HTML report's browser test)"
                bash tests/install-chromium.sh ||
                        echo "== chromium unavailable: integration_report_chromium will be SKIPPED"
        fi
        echo "== ctest -L $label"
        ctest --test-dir build-test -L "$label" --output-on-failure \
                -j"${CTEST_PARALLEL_LEVEL:-1}"
done

if [ "${VG_TEST_ASAN:-1}" = 1 ] && [ -z "${VG_TEST_LABEL:-}" ]; then
        echo "== build (Asan: address + undefined behaviour sanitizers)"
        build build-asan Asan
        echo "== ctest -L unit (Asan)"
        ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan -L unit \
                --output-on-failure
        echo "== check_render, check_chg (Tsan: the rendering thread)"
        cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Tsan -DVG_WERROR=ON \
                >/dev/null
        cmake --build build-tsan -j"$(nproc)" --target check_render \
                check_chg -- --no-print-directory -s
        TSAN_OPTIONS=halt_on_error=1 build-tsan/bin/check_render
        TSAN_OPTIONS=halt_on_error=1 build-tsan/bin/check_chg
fi
echo "== all tests passed in $(( $(date +%s) - t0 )) s"
