#!/bin/sh
# Re-captures the real plugin outputs of this folder (Debian 12, monitoring-plugins-basic 2.3.3, run as root).
# Each capture is the plugin's raw stdout in <name>.out; captures.tsv lists name, exit code and command line.
# Needs: monitoring-plugins-basic, python3 (a throw-away HTTP server on 127.0.0.1), a tmpfs mount for the
# label with a space (root).
set -u
P=/usr/lib/nagios/plugins
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=/tmp/vigie-nagios-capture
export LC_ALL=C
mkdir -p "$WORK/www" "$WORK/with space"
mountpoint -q "$WORK/with space" || mount -t tmpfs -o size=8m vigie-capture "$WORK/with space"
echo 'hello' > "$WORK/www/index.html"
touch "$WORK/fresh-file"
touch -d '2 hours ago' "$WORK/old-file"
python3 -m http.server 18931 --bind 127.0.0.1 --directory "$WORK/www" >/dev/null 2>&1 &
HTTP_PID=$!
sleep 1

: > "$HERE/captures.tsv"
capture() {
  name=$1; shift
  "$@" > "$HERE/$name.out" 2>/dev/null
  code=$?
  printf '%s\t%s\t%s\n' "$name" "$code" "$*" >> "$HERE/captures.tsv"
}

capture check_disk-three-mounts $P/check_disk -w 20% -c 10% -p / -p /dev/shm -p "$WORK/with space"
capture check_disk-critical $P/check_disk -w 100% -c 100% -p /
capture check_disk-not-mounted $P/check_disk -w 20% -c 10% -p /vigie-not-mounted-anywhere
capture check_load $P/check_load -w 100,100,100 -c 200,200,200
capture check_load-per-cpu $P/check_load -r -w 1,1,1 -c 2,2,2
capture check_load-bad-args $P/check_load
capture check_procs $P/check_procs
capture check_procs-critical $P/check_procs -w 5 -c 10
capture check_procs-rss $P/check_procs -m RSS -w 100000 -c 200000
capture check_swap-no-swap $P/check_swap -w 20% -c 10%
capture check_users $P/check_users -w 5 -c 10
capture check_dummy-0 $P/check_dummy 0 'all good'
capture check_dummy-1 $P/check_dummy 1 'look at me'
capture check_dummy-2 $P/check_dummy 2 'broken'
capture check_dummy-3 $P/check_dummy 3 'no idea'
capture check_file_age-fresh $P/check_file_age -w 60 -c 120 -f "$WORK/fresh-file"
capture check_file_age-old $P/check_file_age -w 60 -c 3600 -f "$WORK/old-file"
capture check_file_age-missing $P/check_file_age -w 60 -c 120 -f "$WORK/missing-file"
capture check_tcp-closed $P/check_tcp -H 127.0.0.1 -p 1
capture check_tcp-open $P/check_tcp -H 127.0.0.1 -p 18931
capture check_http $P/check_http -H 127.0.0.1 -p 18931 -u /
capture check_http-closed $P/check_http -H 127.0.0.1 -p 1
capture check_ping $P/check_ping -H 127.0.0.1 -w 100,20% -c 200,50% -p 3
capture check_icmp $P/check_icmp -H 127.0.0.1

kill "$HTTP_PID"
umount "$WORK/with space"
