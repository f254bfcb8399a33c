#!/usr/bin/env bash
# Run by `npm test` before the suite: the end-to-end tests need real programs that npm cannot
# install. chromium: the HTML report is checked in a real headless browser. redis-server: the
# server fleet fans events out through a real Redis. nginx-light + libnginx-mod-nchan: every
# protocol is run against a real pub/sub server. Installs what is missing with apt-get when
# this machine allows it; otherwise stops with one line naming what to install.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } || need+=(nginx-light)
[ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] || need+=(libnginx-mod-nchan)
[ ${#need[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
fi
if [ "$SUDO" = "none" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "npm test needs ${need[*]}: install them (Debian/Ubuntu: sudo apt-get install -y ${need[*]}) and run npm test again" >&2
  exit 1
fi
echo "npm test: installing ${need[*]} (needed by the end-to-end tests) …" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
