#!/bin/sh
# provisiond at scale (DESIGN §5): a throwaway slapd loaded with slapadd
# (bench/gen.py: USERS users in ORGS customer organisations of varied size,
# about 3 grants each), then the
# full reconcile timed and its peak RSS taken with /usr/bin/time -v:
#   1. the first projection (every group and umAppAccess to write),
#   2. a restart with nothing to change (the steady state),
#   3. the same with an ACL that lets provisiond's reads skip the regex
#      ACLs of slapd.conf (see the note printed at the end).
#
#   sh provisiond/scale.sh [DIR]     (default /tmp/provisiond-scale)
#   USERS=100000 ORGS=4000 PORT=3979 (defaults)
#   MDB_EXTRA='dbnosync'             (lines for the portal database of the
#                                     tuned slapd.conf; `;` between lines)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/tmp/provisiond-scale}
users=${USERS:-100000}
orgs=${ORGS:-$((users / 25))}
port=${PORT:-3979}
suffix=dc=portal,dc=example

sh "$top/scripts/instance.sh" stop "$dir/inst" >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir"

echo "== generating $users users in $orgs organisations"
/usr/bin/python3 "$top/bench/gen.py" "$users" --orgs "$orgs" -o "$dir/scale.ldif"
echo "   $(grep -c '^dn:' "$dir/scale.ldif") entries"

echo "== slapadd"
start=$(date +%s)
UM_DEMO=0 UM_EXTRA_LDIF="$dir/scale.ldif" sh "$top/scripts/instance.sh" start "$dir/inst" "$port"
echo "   loaded and started in $(($(date +%s) - start)) s"

sed -e "s|@URI@|ldap://127.0.0.1:$port|g" -e "s|@SUFFIX@|$suffix|g" \
	-e "s|@RUN@|$dir/inst|g" -e "s|@RIGHTS@|$top/config/rights.yaml|g" \
	"$top/config/provisiond.yaml.in" >"$dir/provisiond.yaml"

# one provisiond run: until its first full reconcile is done, then SIGTERM
run() {
	name=$1
	log="$dir/$name.log"
	/usr/bin/time -v "$top/build/provisiond" -d -v -f "$dir/provisiond.yaml" >"$log" 2>&1 &
	timepid=$!
	while ! grep -q "in sync with" "$log" 2>/dev/null; do
		if ! kill -0 "$timepid" 2>/dev/null; then
			cat "$log" >&2
			exit 1
		fi
		sleep 1
	done
	pkill -TERM -P "$timepid" provisiond || true
	wait "$timepid" || true
	echo "== $name"
	grep "reconcile:\|apply: phase" "$log" | sed 's/^/   /'
	grep "Maximum resident set size" "$log" | sed 's/^\s*/   /'
}

# Every read of provisiond's under ou=organizations walks the regex ACLs of
# slapd.conf (dn.regex with $2 back-references) before reaching its own
# clause: an ACL of its own in front skips them (the same rights). And
# without `sortvals member`, slapd checks each member added to a group
# against every member already there: quadratic in the size of the big
# groups. "tuned" is slapd.conf with both; "stock" is config/slapd.conf.in.
sh "$top/scripts/instance.sh" stop "$dir/inst"
cp "$dir/inst/slapd.conf" "$dir/slapd-stock.conf"
/usr/bin/python3 - "$dir/slapd-stock.conf" "$suffix" "${MDB_EXTRA:-}" >"$dir/slapd-tuned.conf" <<'PY'
import sys
path, suffix, extra = sys.argv[1], sys.argv[2], sys.argv[3]
conf = open(path).read()
if extra:
    lines = "".join("%s\n" % l.strip() for l in extra.split(";"))
    conf = conf.replace("\ncheckpoint\t", "\n" + lines + "checkpoint\t", 1)
marker = 'access to dn.base="" by * read'
acl = ('access to dn.subtree="ou=organizations,%s"\n'
       '\tattrs=entry,objectClass,umStatus,umRight,umAppAccess\n'
       '\tby dn.exact="cn=provisiond,ou=system,%s" write\n'
       '\tby * break\n\n' % (suffix, suffix))
conf = conf.replace(marker, acl + marker, 1)
conf = conf.replace("\ndatabase\tmdb", "\nsortvals\tmember\n\ndatabase\tmdb", 1)
sys.stdout.write(conf)
PY

# instance.sh would write slapd.conf anew: these are started by hand
slapd_start() {
	/usr/sbin/slapd -f "$1" -h "ldap://127.0.0.1:$port/"
	i=0
	while ! ldapsearch -x -H "ldap://127.0.0.1:$port" -s base -b "" dn >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "slapd did not start" >&2; exit 1; }
		sleep 0.1
	done
}
slapd_stop() {
	kill "$(cat "$dir/inst/slapd.pid")"
	while [ -f "$dir/inst/slapd.pid" ]; do sleep 0.2; done
}

slapd_start "$dir/slapd-tuned.conf"
run first-projection-tuned
run steady-state-tuned
slapd_stop
slapd_start "$dir/slapd-stock.conf"
run steady-state-stock
slapd_stop
echo "logs in $dir"
