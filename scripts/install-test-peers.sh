#!/bin/sh
# Installs the third-party SIP peers the integration tests talk to, when they are missing:
#   sipp     (Debian/Ubuntu package sip-tester; also provides /usr/share/sip-tester/*.pcap)
#   baresip  (Debian/Ubuntu package baresip)
#   espeak-ng (speech for the DTMF detector's no-false-digit test)
#   python3-aiosmtpd (a real SMTP server for the voicemail e-mail tests; Debian's own
#            /usr/bin/python3 must import it, whatever python3 comes first in PATH)
# Idempotent: does nothing when both are already installed. Needs apt-get (and root, or sudo).
set -eu

missing=""
command -v sipp >/dev/null 2>&1 && [ -f /usr/share/sip-tester/g711a.pcap ] || missing="$missing sip-tester"
command -v baresip >/dev/null 2>&1 || missing="$missing baresip"
command -v espeak-ng >/dev/null 2>&1 || missing="$missing espeak-ng"
/usr/bin/python3 -c 'import aiosmtpd.smtp' >/dev/null 2>&1 || missing="$missing python3-aiosmtpd"

if [ -z "$missing" ]; then
    echo "install-test-peers: sipp, baresip, espeak-ng and python3-aiosmtpd are installed"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-peers: please install:$missing (no apt-get here)" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "install-test-peers: need root or sudo to install:$missing" >&2
    exit 1
fi

echo "install-test-peers: installing$missing"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086 # the package list is meant to split
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing

command -v sipp >/dev/null 2>&1 || { echo "install-test-peers: sipp still missing" >&2; exit 1; }
command -v baresip >/dev/null 2>&1 || { echo "install-test-peers: baresip still missing" >&2; exit 1; }
command -v espeak-ng >/dev/null 2>&1 || { echo "install-test-peers: espeak-ng still missing" >&2; exit 1; }
/usr/bin/python3 -c 'import aiosmtpd.smtp' >/dev/null 2>&1 || { echo "install-test-peers: python3-aiosmtpd still missing" >&2; exit 1; }
echo "install-test-peers: done"
