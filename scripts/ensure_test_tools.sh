#!/usr/bin/env bash
# Debian tools the end-to-end tests use: chromium (driven by Playwright, no browser download) and ffmpeg
# (makes webm/y4m/audio-only test clips from real ones). Installed only when missing.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing ${missing[*]}: install them with 'sudo apt-get install ${missing[*]}' (tests that need them skip)." >&2
  exit 0
fi
echo "Installing ${missing[*]} from Debian..."
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
