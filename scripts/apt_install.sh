#!/usr/bin/env bash
# Installs the Debian packages named after the log file, those not yet present, where apt-get can.
# Never fails the build: a package that cannot be installed is reported, and what needs it skips.
log="$1"; shift
missing=()
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mkdir -p "$(dirname "$log")"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  if (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      "${missing[@]}") >"$log" 2>&1; then
    exit 0
  fi
fi
echo "Could not install ${missing[*]} (see $log; needs root and apt-get): tests that need them will be skipped"
