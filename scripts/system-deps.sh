#!/usr/bin/env bash
# System packages the browser tests need: Debian's Chromium (+ driver) and CJK fonts.
#
#   bash scripts/system-deps.sh
#
# Idempotent: installs only what is missing, runs `apt-get update` at most once.
# As root on a Debian/Ubuntu machine it installs; otherwise (a developer laptop, no apt,
# not root) it prints what to install and exits 0, so nothing is blocked: the browser
# tests then skip (outside CI) with a message saying the same.
set -euo pipefail

PACKAGES=(chromium chromium-driver fonts-noto-cjk)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "system-deps: all present (${PACKAGES[*]})"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: missing ${missing[*]}"
    echo "system-deps: not root or no apt-get; install them yourself, e.g.:"
    echo "    sudo apt-get install -y --no-install-recommends ${missing[*]}"
    echo "    (elsewhere: any Chromium/Chrome on PATH as chromium, plus a CJK font)"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# Another apt run (unattended upgrades, a parallel job) may hold the lock: wait for it.
APT=(apt-get -o DPkg::Lock::Timeout=600 -qq)
retry() {
    local i
    for i in 1 2 3 4 5 6; do
        "$@" && return 0
        echo "system-deps: '$*' failed (try $i), retrying in 20 s" >&2
        sleep 20
    done
    "$@"
}
echo "system-deps: installing ${missing[*]}"
retry "${APT[@]}" update
retry "${APT[@]}" install -y --no-install-recommends "${missing[@]}"
echo "system-deps: done"
