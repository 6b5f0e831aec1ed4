#!/bin/sh
# A tool that starts a child which would outlive it: the child writes its pid, then sleeps long; the tool waits.
# Used to prove that a timeout kills the whole process group, not only the tool.
sleep 300 &
echo "$!" > "$1"
wait
