#!/bin/sh
# `make run` / `make stop` (DESIGN §6): the portal directory on
# ldap://127.0.0.1:3890 and an ldapi socket under run/, state in run/, and
# provisiond(8) projecting grants in it (run/provisiond.yaml, its log in
# run/provisiond.log, its sync cookie in run/provisiond/).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
run=${UM_RUN:-$top/run}  # UM_RUN, UM_PORT: a second instance (tests/integration/test_readme_umctl.py)
port=${UM_PORT:-3890}
web_port=${UM_WEB_PORT:-8389}
suffix=${UM_SUFFIX:-dc=portal,dc=example}
demo_admin="uid=PRINTSCREENS,ou=users,o=bpost-contract-team,ou=organizations,$suffix"
pd_pid="$run/provisiond.pid"
pd_log="$run/provisiond.log"

provisiond_start() {
	# a running provisiond keeps its live configuration (DESIGN §6: sources)
	if sh "$top/scripts/provisiond.sh" running "$pd_pid"; then
		echo "provisiond already running (pid $(cat "$pd_pid"))"
		return 0
	fi
	sed -e "s|@URI@|ldap://127.0.0.1:$port|g" -e "s|@SUFFIX@|$suffix|g" -e "s|@RUN@|$run|g" \
		-e "s|@RIGHTS@|${UM_RIGHTS:-$top/config/rights.yaml}|g" \
		"$top/config/provisiond.yaml.in" >"$run/provisiond.yaml"
	sh "$top/scripts/provisiond.sh" start "$run/provisiond.yaml" "$pd_pid" "$pd_log"
}

case "${1:-start}" in
start)
	mkdir -p "$run"
	sh "$top/scripts/instance.sh" start "$run" "$port"
	. "$run/secrets"
	umask 077
	cat >"$run/env" <<ENV
# portal-um: written by make run; contains credentials (mode 0600).
UM_URI=ldap://127.0.0.1:$port
UM_WEB_URL=http://127.0.0.1:$web_port/
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
	provisiond_start
	sh "$top/scripts/web.sh" start "$run" "$port" "$web_port"
	echo "portal-um directory: ldap://127.0.0.1:$port (suffix $suffix)"
	echo "  root:        cn=admin,$suffix  (password in run/env, UM_ROOTPW)"
	echo "  demo admin:  $demo_admin"
	echo "               password Demo-Admin-1 (test-only)"
	echo "  try: . run/env && ldapsearch -x -H \$UM_URI -D \"\$UM_DEMO_ADMIN_DN\" -w \"\$UM_DEMO_ADMIN_PW\" \\"
	echo "         -b ou=users,o=bpost-contract-team,ou=organizations,\$UM_SUFFIX -LLL uid creatorsName"
	echo "  provisiond:  pid $(cat "$pd_pid"), log run/provisiond.log (groups under ou=groups,$suffix)"
	echo "  web console: http://127.0.0.1:$web_port/  (LDAP Account Manager; log in with a username,"
	echo "               e.g. PRINTSCREENS / Demo-Admin-1; logs in run/web/)"
	;;
stop)
	sh "$top/scripts/web.sh" stop "$run"
	sh "$top/scripts/provisiond.sh" stop "$pd_pid"
	sh "$top/scripts/instance.sh" stop "$run"
	echo "portal-um stopped"
	;;
*)
	echo "usage: run.sh start|stop" >&2
	exit 2
	;;
esac
