#!/bin/sh
# Installs the Vigie agent from this tarball on a Linux x86-64 server without .deb support (RHEL, Rocky, Alma,
# SUSE...): the executable in $PREFIX/bin (default /usr/local), the vigie-agent system user, the state folder
# /var/lib/vigie-agent (0700), a commented /etc/vigie/agent.yaml (kept if present) and, under systemd, the unit.
# Running it again upgrades the executable and keeps the config, the credential and the outbox.
# Then: vigie-agent enroll --url wss://HOST/ingest --token vge_...
set -eu

here=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-/usr/local}

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (it creates a system user and writes /etc/vigie)" >&2
  exit 1
fi
install -d -m 0755 "$PREFIX/bin"
install -m 0755 "$here/vigie-agent" "$PREFIX/bin/vigie-agent.new"
mv -f "$PREFIX/bin/vigie-agent.new" "$PREFIX/bin/vigie-agent"

if ! id vigie-agent >/dev/null 2>&1; then
  nologin=/usr/sbin/nologin
  [ -x "$nologin" ] || nologin=/sbin/nologin
  useradd --system --user-group --home-dir /var/lib/vigie-agent --no-create-home --shell "$nologin" \
    --comment "Vigie monitoring agent" vigie-agent
fi
install -d -m 0700 -o vigie-agent -g vigie-agent /var/lib/vigie-agent
install -d -m 0755 /etc/vigie
if [ ! -e /etc/vigie/agent.yaml ]; then
  install -m 0640 -o root -g vigie-agent "$here/agent.yaml" /etc/vigie/agent.yaml
fi

if [ -d /run/systemd/system ]; then
  sed "s#^ExecStart=/usr/bin/vigie-agent #ExecStart=$PREFIX/bin/vigie-agent #" "$here/vigie-agent.service" \
    >/etc/systemd/system/vigie-agent.service
  systemctl daemon-reload
  if systemctl is-active --quiet vigie-agent.service; then systemctl restart vigie-agent.service; fi
fi
echo "vigie-agent $("$PREFIX/bin/vigie-agent" version | cut -d' ' -f2) installed in $PREFIX/bin"
echo "next: vigie-agent enroll --url wss://HOST/ingest --token vge_..."
