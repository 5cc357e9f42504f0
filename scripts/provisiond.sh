#!/bin/sh
# provisiond(8) as `make run` and `make run-cluster` start it: checked with
# -n, in the background, its log appended, back once the first full
# reconcile is done (groups and the catalogue are there on return).
#
#   provisiond.sh start CONF PIDFILE LOG
#   provisiond.sh stop PIDFILE
#   provisiond.sh running PIDFILE   exit 0 if it runs
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?usage: provisiond.sh start CONF PIDFILE LOG | stop PIDFILE}

running() { [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

case "$cmd" in
start)
	conf=${2:?configuration} pid_file=${3:?pid file} log=${4:?log}
	if running; then
		echo "provisiond already running (pid $(cat "$pid_file"))"
		exit 0
	fi
	if ! out=$("$top/build/provisiond" -n -f "$conf" 2>&1); then
		echo "$out" >&2
		exit 1
	fi
	since=1
	[ -f "$log" ] && since=$(($(wc -c <"$log") + 1))
	nohup "$top/build/provisiond" -d -f "$conf" >>"$log" 2>&1 &
	echo $! >"$pid_file"
	i=0
	while [ $i -lt 600 ]; do
		tail -c "+$since" "$log" | grep -q "in sync with" && exit 0
		if ! running; then
			tail -n 20 "$log" >&2
			echo "provisiond.sh: provisiond did not start" >&2
			exit 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "provisiond.sh: provisiond is still reconciling, see $log" >&2
	;;
running)
	pid_file=${2:?pid file}
	running
	;;
stop)
	pid_file=${2:?pid file}
	running || { rm -f "$pid_file"; exit 0; }
	pid=$(cat "$pid_file")
	kill "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$pid_file"
	;;
*)
	echo "usage: provisiond.sh start CONF PIDFILE LOG | stop PIDFILE" >&2
	exit 2
	;;
esac
