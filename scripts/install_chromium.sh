#!/usr/bin/env bash
# Install Debian's Chromium (/usr/bin/chromium) for the browser tests (tests/test_browser.py), unless it is
# already there. The tests drive it with Playwright, which never downloads a browser of its own.
# Runs apt-get as root, or through sudo when not root; exits 0 when Chromium is already installed.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "Chromium is already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "Chromium is missing and this script is neither root nor has sudo: install Debian's 'chromium' package." >&2
    exit 1
fi

echo "Installing Debian's chromium with apt-get..."
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
echo "Installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
