#!/usr/bin/env bash
# Set-up, build and run, for a fresh Debian 12 machine (as root) or a
# developer's checkout. Installs only what is missing.
#
#   scripts/setup.sh demo   install, build, diagnose the bundled seed capture
#   scripts/setup.sh test   install, build (warnings are errors), run every test
#   scripts/setup.sh build  install and build only
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-demo}

# Build and test dependencies (gettext for the catalogues, scdoc for the man
# pages, locales for the zh_CN test), then what the lab (ctest -L lab) uses, then
# what the robustness tests use (tshark for robust.tshark_agree, cppcheck for
# static.analysis; both skip when absent), jq for lab.live and html.report,
# and chromium (headless) with a CJK font for html.report (its Chinese page).
packages=(gcc make cmake pkg-config libpcap-dev libcmocka-dev
          tcpdump nftables iproute2 iptables
          tshark cppcheck jq chromium fonts-wqy-zenhei
          gettext locales scdoc)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  if [ "$(id -u)" != 0 ]; then
    echo "setup: need root to install packages (or install them yourself)" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# tests/i18n/check.sh also runs under LANG=zh_CN.UTF-8 when that locale is
# generated (tcpwhy itself needs no locale: --lang works without one).
if [ "$(id -u)" = 0 ] && ! locale -a 2>/dev/null | grep -qix 'zh_CN.utf8'; then
  if grep -q '^# *zh_CN.UTF-8 UTF-8' /etc/locale.gen 2>/dev/null; then
    sed -i 's/^# *\(zh_CN.UTF-8 UTF-8\)/\1/' /etc/locale.gen
  else
    echo 'zh_CN.UTF-8 UTF-8' >> /etc/locale.gen
  fi
  locale-gen >/dev/null
fi

build() {
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTCPWHY_WERROR=ON >/dev/null
  cmake --build build -j"$(nproc)" >/dev/null
}

case "$what" in
  demo)
    build
    echo "$ tcpwhy tests/fixtures/synack_lost_rst_v4/client.pcap" >&2
    status=0
    build/tcpwhy tests/fixtures/synack_lost_rst_v4/client.pcap || status=$?
    # 1 means "a connection failed", which is what the demo capture shows
    [ "$status" -le 1 ]
    ;;
  test)
    build
    (cd build && ctest --output-on-failure -j"$(nproc)")
    # The suite again with AddressSanitizer and UBSan (docs/robustness.md), the
    # corpus sweep and the hostile inputs included; not the lab (root, ~1 min,
    # run above), nor what runs no tcpwhy code differently under sanitizers
    # (static analysis; tshark's counts, which the sweep's files already cover).
    start=$(date +%s)
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTCPWHY_WERROR=ON \
          -DTCPWHY_SANITIZE=ON >/dev/null
    cmake --build build-asan -j"$(nproc)" >/dev/null
    (cd build-asan &&
     ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
     TW_FLOOD_MARGIN_MB=112 ctest --output-on-failure -j"$(nproc)" -LE 'lab|static' \
       -E 'robust.tshark_agree')
    echo "setup: sanitizer build and tests: $(($(date +%s) - start)) s" >&2
    # What runs threads (--threads, the two readers of a correlated pair,
    # live) again under ThreadSanitizer: a data race fails the test (TSan's
    # exit status 66, and --threads 1 and 2 then differ).
    start=$(date +%s)
    cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTCPWHY_WERROR=ON \
          -DTCPWHY_TSAN=ON >/dev/null
    cmake --build build-tsan -j"$(nproc)" >/dev/null
    (cd build-tsan &&
     TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j"$(nproc)" \
       -R 'threads\.|unit\.|golden\.')
    echo "setup: thread sanitizer build and tests: $(($(date +%s) - start)) s" >&2
    ;;
  build)
    build
    ;;
  *)
    sed -n '2,8p' "$0" >&2
    exit 2
    ;;
esac
