#!/bin/sh
# One slapd instance of portal-um: `make run` (run/, port 3890) and every
# test fixture (a temp dir, a free port) go through here, so they run the
# same configuration.
#
#   instance.sh setup DIR PORT   write DIR/slapd.conf, secrets, load LDIF
#   instance.sh start DIR PORT   setup if needed, start slapd, wait for it
#   instance.sh stop  DIR        stop the slapd started in DIR
#
# Environment: UM_SUFFIX (dc=portal,dc=example), UM_RIGHTS (rights.yaml),
# UM_DELEGATE_SO (the overlay), UM_DEMO (1: load ldif/demo.ldif),
# UM_SLAPD_PRELOAD (LD_PRELOAD for slapd, for an ASan overlay),
# UM_EXTRA_LDIF (more entries to load, e.g. bench data), UM_NO_DELEGATE (1:
# the same configuration without the overlay, the benchmarks' baseline),
# UM_NO_BIND_ACL (1: without the dynacl/delegate-bind ACL clause),
# UM_DELEGATE_EXTRA (delegate-* lines appended to the overlay's section),
# UM_PROVISIOND_CONF (provisiond.yaml whose remote sources slapd
# authenticates against; default DIR/provisiond.yaml), UM_SEED_LDIF (a
# slapcat to load instead of the base tree: the nodes of a cluster).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?usage: instance.sh setup|start|stop DIR [PORT]}
dir=${2:?directory}
port=${3:-3890}
suffix=${UM_SUFFIX:-dc=portal,dc=example}
rights=${UM_RIGHTS:-$top/config/rights.yaml}
delegate=${UM_DELEGATE_SO:-$top/build/delegate.so}
demo=${UM_DEMO:-1}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

die() { echo "instance.sh: $*" >&2; exit 1; }

# ldapi URLs carry the socket path percent-encoded.
ldapi_url() { printf 'ldapi://%s' "$(printf '%s' "$dir/ldapi" | sed 's,/,%2F,g')"; }

secret() { head -c 18 /dev/urandom | base64 | tr '+/' 'xy'; }

setup() {
	umask 077
	if [ ! -f "$dir/secrets" ]; then
		{
			echo "UM_ROOTPW=$(secret)"
			echo "UM_OPERATOR_PW=$(secret)"
			echo "UM_PROVISIOND_PW=$(secret)"
			echo "UM_APP_PW=$(secret)"
		} >"$dir/secrets"
	fi
	# the FTP server's identity (manual §2.2.4) came later: a state dir
	# made before it gets the secret; its entry needs a fresh data dir
	grep -q '^UM_FTP_PW=' "$dir/secrets" || echo "UM_FTP_PW=$(secret)" >>"$dir/secrets"
	# so did the web console's login search identity (web/, issue 8)
	grep -q '^UM_WEBCONSOLE_PW=' "$dir/secrets" || echo "UM_WEBCONSOLE_PW=$(secret)" >>"$dir/secrets"
	. "$dir/secrets"
	if [ ! -f "$dir/provisiond-mail.key" ]; then
		# The recovery mails' key pair: the overlay seals every queued mail
		# to the public half (delegate-mail-key), only provisiond holds the
		# private one (mail-key, mode 0600 under this umask).
		openssl genpkey -algorithm X25519 -out "$dir/provisiond-mail.key"
		openssl pkey -in "$dir/provisiond-mail.key" -pubout -out "$dir/mail-key.pub"
		chmod 0644 "$dir/mail-key.pub"
	fi
	hash() { slappasswd -h '{SSHA}' -s "$1"; }
	sed -e "s|@TOP@|$top|g" -e "s|@RUN@|$dir|g" -e "s|@SUFFIX@|$suffix|g" \
		-e "s|@ROOTPW_HASH@|$(hash "$UM_ROOTPW")|g" \
		-e "s|@DELEGATE_SO@|$delegate|g" -e "s|@RIGHTS@|$rights|g" \
		-e "s|@PEERCRED@|gidNumber=$(id -g)+uidNumber=$(id -u),cn=peercred,cn=external,cn=auth|g" \
		"$top/config/slapd.conf.in" >"$dir/slapd.conf"
	if [ -n "${UM_DELEGATE_EXTRA:-}" ]; then
		# more delegate-* directives (tests of optional behaviour)
		printf '%s\n' "$UM_DELEGATE_EXTRA" >>"$dir/slapd.conf"
	fi
	if [ "${UM_NO_DELEGATE:-0}" = 1 ]; then
		sed -i -e '/^overlay[[:space:]]*delegate/,$d' -e '/^moduleload.*delegate/d' \
			-e '/dynacl\/delegate-/d' "$dir/slapd.conf"
	fi
	if [ "${UM_NO_BIND_ACL:-0}" = 1 ]; then
		# the overlay then checks binds with an entry fetch of its own
		sed -i -e '/dynacl\/delegate-bind/d' "$dir/slapd.conf"
	fi
	printf '%s\n' "$UM_PROVISIOND_PW" >"$dir/provisiond.pw"
	# slapo-remoteauth for the sources with authentication: remote
	# (provisiond(8)): from DIR/provisiond.yaml when there is one (make
	# run), or UM_PROVISIOND_CONF; else the file already there (a test
	# writes its own); else none. slapd reads it at start only.
	pdconf=${UM_PROVISIOND_CONF:-$dir/provisiond.yaml}
	if [ -f "$pdconf" ] && [ -x "$top/build/provisiond" ]; then
		"$top/build/provisiond" --remoteauth-conf -f "$pdconf" >"$dir/remoteauth.conf.new" ||
			die "provisiond --remoteauth-conf -f $pdconf failed"
		mv "$dir/remoteauth.conf.new" "$dir/remoteauth.conf"
	elif [ ! -f "$dir/remoteauth.conf" ]; then
		echo "# no source with authentication: remote" >"$dir/remoteauth.conf"
	fi
	# a node of `make run-cluster` finds its replication settings written
	# by scripts/cluster.sh; a single node says so
	for f in cluster.conf cluster-db.conf cluster-ppolicy.conf; do
		[ -f "$dir/$f" ] || echo "# a single node: no replication (scripts/cluster.sh)" >"$dir/$f"
	done
	mkdir -p "$dir/data" "$dir/accesslog"
	# With a sanitized overlay, the tools (slapadd here, slapcat in
	# cluster.sh; they run no overlay code but parse its configuration) use
	# the plain build: ASan's runtime deadlocks in p11-kit's destructor when
	# a tool exits.
	conf="$dir/slapd.conf"
	if [ -n "${UM_SLAPD_PRELOAD:-}" ]; then
		conf="$dir/slapadd.conf"
		sed "s|$delegate|$top/build/delegate.so|" "$dir/slapd.conf" >"$conf"
	fi
	if [ ! -f "$dir/data/data.mdb" ] && [ -n "${UM_SEED_LDIF:-}" ]; then
		# the other nodes of a cluster: provider 1's slapcat, entryUUID and
		# entryCSN included, so that every node starts from the same entries
		slapadd -q -w -f "$conf" -b "$suffix" -l "$UM_SEED_LDIF" >"$dir/slapadd.log" 2>&1 ||
			{ rm -f "$dir/data/"*.mdb; cat "$dir/slapadd.log" >&2; die "loading the seed failed"; }
	fi
	if [ ! -f "$dir/data/data.mdb" ]; then
		{
			sed -e "s|@SUFFIX@|$suffix|g" \
				-e "s|@OPERATOR_PASSWORD_HASH@|$(hash "$UM_OPERATOR_PW")|" \
				-e "s|@PROVISIOND_PASSWORD_HASH@|$(hash "$UM_PROVISIOND_PW")|" \
				-e "s|@APP_PASSWORD_HASH@|$(hash "$UM_APP_PW")|" \
				-e "s|@FTP_PASSWORD_HASH@|$(hash "$UM_FTP_PW")|" \
				-e "s|@WEBCONSOLE_PASSWORD_HASH@|$(hash "$UM_WEBCONSOLE_PW")|" \
				-e "s|@PWCHECK_SO@|$top/build/um_pwcheck.so|" \
				"$top/ldif/base.ldif"
			if [ "$demo" = 1 ] && [ -f "$top/ldif/demo.ldif" ]; then
				echo
				sed -e "s|dc=portal,dc=example|$suffix|g" "$top/ldif/demo.ldif"
			fi
			if [ -n "${UM_EXTRA_LDIF:-}" ]; then
				echo
				cat "$UM_EXTRA_LDIF"
			fi
		} >"$dir/load.ldif"
		# slapadd runs without the overlays: the seed is trusted data.
		slapadd -q -f "$conf" -b "$suffix" -l "$dir/load.ldif" >"$dir/slapadd.log" 2>&1 ||
			{ rm -f "$dir/data/"*.mdb; cat "$dir/slapadd.log" >&2; die "loading the base tree failed"; }
	fi
}

running() { [ -f "$dir/slapd.pid" ] && kill -0 "$(cat "$dir/slapd.pid")" 2>/dev/null; }

start() {
	if running; then
		echo "slapd already running (pid $(cat "$dir/slapd.pid")) on ldap://127.0.0.1:$port"
		return 0
	fi
	setup
	# the last run's log says "slapd stopped": gone before the wait below
	# reads it, or a restart races the new slapd's first write (flaky)
	rm -f "$dir/slapd.pid" "$dir/slapd.log"
	# -d 32768 ("none": errors only) keeps slapd in the foreground of its own subshell, its stderr in
	# a log we can show when it refuses to start.
	(
		[ -n "${UM_SLAPD_PRELOAD:-}" ] && export LD_PRELOAD="$UM_SLAPD_PRELOAD"
		# UM_SLAPD_WRAPPER: e.g. valgrind --tool=callgrind (bench/)
		exec ${UM_SLAPD_WRAPPER:-} /usr/sbin/slapd -d 32768 -f "$dir/slapd.conf" \
			-h "ldap://127.0.0.1:$port/ $(ldapi_url)" >"$dir/slapd.log" 2>&1
	) &
	echo $! >"$dir/slapd.child"
	i=0
	while [ $i -lt 600 ]; do
		if ldapsearch -x -H "ldap://127.0.0.1:$port" -s base -b "" -LLL dn >/dev/null 2>&1; then
			return 0
		fi
		# "slapd stopped": it gave up (under ASan its exit may then hang)
		if ! kill -0 "$(cat "$dir/slapd.child")" 2>/dev/null ||
			grep -q "slapd stopped" "$dir/slapd.log"; then
			kill -9 "$(cat "$dir/slapd.child")" 2>/dev/null || true
			cat "$dir/slapd.log" >&2
			die "slapd refused to start"
		fi
		sleep 0.1
		i=$((i + 1))
	done
	die "slapd did not answer on port $port"
}

stop() {
	pid=""
	[ -f "$dir/slapd.child" ] && pid=$(cat "$dir/slapd.child")
	[ -f "$dir/slapd.pid" ] && pid=$(cat "$dir/slapd.pid")
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	# under ASan a clean exit deadlocks in p11-kit's destructor: don't wait long
	grace=100
	[ -n "${UM_SLAPD_PRELOAD:-}" ] && grace=20
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt $grace ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$dir/slapd.pid" "$dir/slapd.child"
}

case "$cmd" in
setup) setup ;;
start) start ;;
stop) stop ;;
*) die "unknown command $cmd" ;;
esac
