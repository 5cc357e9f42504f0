#!/bin/sh
# make bench: build OpenLDAP's load tools from the configured source tree,
# then compare the same slapd with and without the delegate overlay.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tree="$top/build/openldap"
if [ ! -x "$tree/tests/progs/slapd-modify" ]; then
	(make -C "$tree/libraries" depend && make -C "$tree/libraries" &&
		make -C "$tree/tests/progs" depend && make -C "$tree/tests/progs") >"$top/build/progs.log" 2>&1
fi
# make bench-scale: bench/scale.py SIZE... instead
if [ "${1:-}" = --scale ]; then
	shift
	exec /usr/bin/python3 "$top/bench/scale.py" "$@"
fi
/usr/bin/python3 "$top/bench/bench.py" "$@"
# the same, counted in instructions (callgrind): immune to the machine's noise
/usr/bin/python3 "$top/bench/callgrind.py" --users 1000
/usr/bin/python3 "$top/bench/callgrind.py" --users 100000
# issue 4: grant-to-group latency through provisiond at 100 writes/s
/usr/bin/python3 "$top/bench/latency.py" --users 10000 --writes 500
# issue 10: the same on a portal of 100k users (target p99 <= 250 ms)
/usr/bin/python3 "$top/bench/latency.py" --users 100000 --writes 500
# issue 9: what the disk gives a commit (the import below is bound by it)
/usr/bin/python3 "$top/bench/disk.py"
# issue 9: corporate sync, the initial import of 100k users (poll mode) and
# how soon an upstream change is in the portal (syncrepl mode)
/usr/bin/python3 "$top/bench/sync.py" --users 100000 --changes 50
