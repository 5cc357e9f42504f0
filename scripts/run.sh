#!/bin/sh
# `make run` / `make stop` (DESIGN §6): the portal directory on
# ldap://127.0.0.1:3890 and an ldapi socket under run/, state in run/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
run="$top/run"
port=3890
suffix=${UM_SUFFIX:-dc=portal,dc=example}
demo_admin="uid=PRINTSCREENS,ou=users,o=bpost-contract-team,ou=organizations,$suffix"

case "${1:-start}" in
start)
	mkdir -p "$run"
	sh "$top/scripts/instance.sh" start "$run" "$port"
	. "$run/secrets"
	umask 077
	cat >"$run/env" <<ENV
# portal-um: written by make run; contains credentials (mode 0600).
UM_URI=ldap://127.0.0.1:$port
UM_LDAPI=ldapi://$(printf '%s' "$run/ldapi" | sed 's,/,%2F,g')
UM_SUFFIX=$suffix
UM_ROOTDN=cn=admin,$suffix
UM_ROOTPW=$UM_ROOTPW
UM_OPERATOR_DN=uid=operator,ou=system,$suffix
UM_OPERATOR_PW=$UM_OPERATOR_PW
# TEST-ONLY demo credentials, from ldif/demo.ldif
UM_DEMO_ADMIN_DN=$demo_admin
UM_DEMO_ADMIN_PW=Demo-Admin-1
ENV
	echo "portal-um directory: ldap://127.0.0.1:$port (suffix $suffix)"
	echo "  root:        cn=admin,$suffix  (password in run/env, UM_ROOTPW)"
	echo "  demo admin:  $demo_admin"
	echo "               password Demo-Admin-1 (test-only)"
	echo "  try: . run/env && ldapsearch -x -H \$UM_URI -D \"\$UM_DEMO_ADMIN_DN\" -w \"\$UM_DEMO_ADMIN_PW\" \\"
	echo "         -b ou=users,o=bpost-contract-team,ou=organizations,\$UM_SUFFIX -LLL uid creatorsName"
	;;
stop)
	sh "$top/scripts/instance.sh" stop "$run"
	echo "portal-um stopped"
	;;
*)
	echo "usage: run.sh start|stop" >&2
	exit 2
	;;
esac
