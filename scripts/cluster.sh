#!/bin/sh
# `make run-cluster` / `make stop` (DESIGN §5, §6): OpenLDAP multi-provider
# replication, nothing home-made. Two providers (syncprov + syncrepl,
# `multiprovider on`) on ldap://127.0.0.1:3891 and :3892, a read-only
# replica on :3893 for e-application binds, each node the configuration of
# scripts/instance.sh (the overlay, the same rights.yaml) plus three files
# written here: cluster.conf (serverID; on the replica the chain overlay),
# cluster-db.conf (syncrepl, the replication identity), cluster-ppolicy.conf
# (ppolicy_forward_updates on the replica). provisiond(8) runs against both
# providers (uri: the two URIs, the first preferred). State in run-cluster/
# (UM_RUN_CLUSTER): p1/ p2/ r3/ the nodes, provisiond/, env.
#
# Plain syncrepl, not delta-syncrepl: every node keeps its own accesslog
# (the audit trail of what it applied) and nothing else is to configure or
# purge in step; the price is that two writes to the same entry on two
# providers within the replication lag resolve entry by entry (the later
# entryCSN wins whole) instead of modification by modification. provisiond
# writes through the first provider that answers, so its writes do not race
# each other across providers (README, "Cluster").
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
run=${UM_RUN_CLUSTER:-$top/run-cluster}
suffix=${UM_SUFFIX:-dc=portal,dc=example}
p1=3891
p2=3892
r3=3893
uri1=ldap://127.0.0.1:$p1
uri2=ldap://127.0.0.1:$p2
uri3=ldap://127.0.0.1:$r3
repl_dn="cn=replicator,ou=system,$suffix"
pd_pid="$run/provisiond.pid"
pd_log="$run/provisiond.log"

die() { echo "cluster.sh: $*" >&2; exit 1; }
secret() { head -c 18 /dev/urandom | base64 | tr '+/' 'xy'; }

# The syncrepl stanza to one provider, as the replication identity: every
# attribute, operational ones included (entryCSN, pwd*, the reset tokens),
# refreshAndPersist, retried every second at first so a restarted provider
# catches up at once.
stanza() { # rid uri
	cat <<EOF
syncrepl rid=$1 provider=$2 bindmethod=simple binddn="$repl_dn" credentials="$repl_pw"
	searchbase="$suffix" type=refreshAndPersist attrs="*,+" schemachecking=off
	retry="1 30 5 +" timeout=5 network-timeout=3 keepalive=30:3:10
EOF
}

repl_access() {
	cat <<EOF
limits dn.exact="$repl_dn" size=unlimited time=unlimited
# the replication identity reads everything, secrets included (a consumer
# holds the same entries); nobody else gets anything from this clause
access to * by dn.exact="$repl_dn" read by * break
EOF
}

node_conf() { # dir serverid role
	d=$1
	mkdir -p "$d"
	(
		umask 077
		{
			echo "# written by scripts/cluster.sh: node $2 ($3)"
			echo "serverID $2"
			if [ "$3" = replica ]; then
				# ppolicy_forward_updates: a failed bind's pwdFailureTime
				# (and a lockout) is written through the frontend, referred
				# by updateref and chained to a provider, the first that
				# answers. The chain asserts the writer's own identity
				# (mode=self, RFC 4370 proxied authorization; a rootdn may
				# assert any DN of its database; an anonymous request goes
				# anonymous, non-prescriptive): a write sent to the replica
				# is decided by the provider's overlay as that writer's,
				# never as the rootdn's; ppolicy's own writes are the
				# rootdn's there too.
				echo "moduleload back_ldap"
				echo "overlay chain"
				for u in "$uri1" "$uri2"; do
					echo "chain-uri $u"
					echo "chain-idassert-bind bindmethod=simple binddn=\"cn=admin,$suffix\" credentials=\"$UM_ROOTPW\" mode=self flags=non-prescriptive"
				done
				echo "chain-return-error TRUE"
			fi
		} >"$d/cluster.conf"
		{
			echo "# written by scripts/cluster.sh: node $2 ($3)"
			# a provider consumes the other one only: slapd 2.5.13 did not
			# recognise its own URL in a stanza (syncrepl.c's isMe) and
			# ran a session with itself, every change sent back for nothing
			if [ "$2" = 1 ]; then
				stanza 002 "$uri2"
				echo "multiprovider on"
			elif [ "$3" = provider ]; then
				stanza 001 "$uri1"
				echo "multiprovider on"
			else
				# read-only: both providers feed it; writes are referred
				stanza 001 "$uri1"
				stanza 002 "$uri2"
				echo "updateref $uri1"
				echo "updateref $uri2"
			fi
			repl_access
		} >"$d/cluster-db.conf"
		if [ "$3" = replica ]; then
			echo "ppolicy_forward_updates on" >"$d/cluster-ppolicy.conf"
		else
			echo "# a provider writes its ppolicy state itself" >"$d/cluster-ppolicy.conf"
		fi
	)
}

provisiond_start() {
	# a running provisiond keeps its live configuration (DESIGN §6: sources)
	if sh "$top/scripts/provisiond.sh" running "$pd_pid"; then
		echo "provisiond already running (pid $(cat "$pd_pid"))"
		return 0
	fi
	mkdir -p "$run/provisiond"
	# the cluster's provisiond: the instance.sh state (password, mail key)
	# of provider 1, which every node shares
	sed -e "s|^uri: .*|uri: \"$uri1 $uri2\"|" -e "s|@SUFFIX@|$suffix|g" \
		-e "s|@RUN@/provisiond\"|$run/provisiond\"|" -e "s|@RUN@|$run/p1|g" \
		-e "s|@RIGHTS@|${UM_RIGHTS:-$top/config/rights.yaml}|g" \
		"$top/config/provisiond.yaml.in" >"$run/provisiond.yaml"
	[ -z "${UM_CLUSTER_MAIL_RELAY:-}" ] ||
		printf 'mail-relay: "%s"\nmail-interval: 200\n' "$UM_CLUSTER_MAIL_RELAY" >>"$run/provisiond.yaml"
	sh "$top/scripts/provisiond.sh" start "$run/provisiond.yaml" "$pd_pid" "$pd_log"
}

# Every node's contextCSN the same: replication has caught up.
wait_converged() {
	i=0
	while [ $i -lt 300 ]; do
		a=$(csn "$uri1")
		[ -n "$a" ] && [ "$a" = "$(csn "$uri2")" ] && [ "$a" = "$(csn "$uri3")" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "cluster.sh: the nodes have not converged yet (contextCSN differ)" >&2
}

csn() {
	ldapsearch -x -H "$1" -D "cn=admin,$suffix" -w "$UM_ROOTPW" -s base -b "$suffix" -LLL \
		contextCSN 2>/dev/null | grep '^contextCSN' | sort
}

start() {
	mkdir -p "$run"
	(
		umask 077
		[ -f "$run/replicator.pw" ] || secret >"$run/replicator.pw"
	)
	chmod 0600 "$run/replicator.pw"
	repl_pw=$(cat "$run/replicator.pw")
	# provider 1 first: its secrets and mail key are every node's (one
	# rootdn, one provisiond identity, one key the overlays seal mails to),
	# its base tree holds the replication identity
	node_conf "$run/p1" 1 provider
	if [ ! -f "$run/p1/data/data.mdb" ]; then
		(
			umask 077
			cat >"$run/replicator.ldif" <<EOF

# The replication identity (scripts/cluster.sh): reads everything, writes nothing.
dn: $repl_dn
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: replicator
description: syncrepl identity of the portal's cluster
userPassword: $(slappasswd -h '{SSHA}' -s "$repl_pw")
EOF
		)
		UM_EXTRA_LDIF="$run/replicator.ldif" sh "$top/scripts/instance.sh" setup "$run/p1" "$p1"
	fi
	. "$run/p1/secrets"
	node_conf "$run/p2" 2 provider
	node_conf "$run/r3" 3 replica
	for n in p2 r3; do
		for f in secrets provisiond-mail.key mail-key.pub; do
			[ -f "$run/$n/$f" ] || cp -p "$run/p1/$f" "$run/$n/$f"
		done
	done
	if [ ! -f "$run/p2/data/data.mdb" ] || [ ! -f "$run/r3/data/data.mdb" ]; then
		# the other nodes start from provider 1's entries, entryUUID and
		# entryCSN included (no refresh of the whole tree at first start)
		tconf="$run/p1/slapd.conf"
		[ -n "${UM_SLAPD_PRELOAD:-}" ] && tconf="$run/p1/slapadd.conf" # instance.sh
		slapcat -f "$tconf" -b "$suffix" -l "$run/seed.ldif.new" 2>/dev/null ||
			die "slapcat of provider 1 failed"
		mv "$run/seed.ldif.new" "$run/seed.ldif"
	fi
	for n in "p1 $p1" "p2 $p2" "r3 $r3"; do
		set -- $n
		UM_SEED_LDIF="$run/seed.ldif" sh "$top/scripts/instance.sh" start "$run/$1" "$2"
	done
	rm -f "$run/seed.ldif"
	wait_converged
	umask 077
	cat >"$run/env" <<ENV
# portal-um: written by make run-cluster; contains credentials (mode 0600).
UM_URIS="$uri1 $uri2 $uri3"
UM_URI=$uri1
UM_SUFFIX=$suffix
UM_ROOTDN=cn=admin,$suffix
UM_ROOTPW=$UM_ROOTPW
UM_OPERATOR_DN=uid=operator,ou=system,$suffix
UM_OPERATOR_PW=$UM_OPERATOR_PW
# TEST-ONLY demo credentials, from ldif/demo.ldif
UM_DEMO_ADMIN_DN=uid=PRINTSCREENS,ou=users,o=bpost-contract-team,ou=organizations,$suffix
UM_DEMO_ADMIN_PW=Demo-Admin-1
ENV
	umask 022
	provisiond_start
	echo "portal-um cluster: providers $uri1 $uri2, read-only replica $uri3 (suffix $suffix)"
	echo "  credentials in $run/env (UM_URIS, UM_ROOTPW, ...); the replica chains writes to $uri1 (or $uri2)"
	echo "  provisiond: pid $(cat "$pd_pid"), against \"$uri1 $uri2\", log $pd_log"
}

stop() {
	sh "$top/scripts/provisiond.sh" stop "$pd_pid"
	for n in r3 p2 p1; do
		[ -d "$run/$n" ] && sh "$top/scripts/instance.sh" stop "$run/$n"
	done
	return 0
}

case "${1:-start}" in
start) start ;;
stop)
	[ -d "$run" ] || exit 0
	stop
	echo "portal-um cluster stopped"
	;;
*)
	echo "usage: cluster.sh start|stop" >&2
	exit 2
	;;
esac
