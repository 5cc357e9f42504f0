#!/bin/sh
# The administrators' web console (issue 8, DESIGN §6): Debian's LDAP
# Account Manager with portal-um's modules (web/lam/lib), served by Apache
# httpd with its own configuration, pid file and logs under DIR/web, never
# the system apache2 service. `make run` (scripts/run.sh) and the e2e
# fixture go through here, so they serve the same configuration.
#
#   web.sh start DIR LDAP_PORT WEB_PORT   DIR is an instance's state dir (secrets)
#   web.sh stop  DIR
#
# LAM finds its configuration next to its code (lib/config.inc:
# __DIR__/../config), so each instance gets its own copy of
# /usr/share/ldap-account-manager (about 80 MB, copied once per version)
# with config/, sess/ and tmp/ of its own and our modules added.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?usage: web.sh start|stop DIR [LDAP_PORT WEB_PORT]}
dir=$(cd "${2:?directory}" && pwd)
web="$dir/web"
lam_src=/usr/share/ldap-account-manager
suffix=${UM_SUFFIX:-dc=portal,dc=example}
modules=/usr/lib/apache2/modules

die() { echo "web.sh: $*" >&2; exit 1; }

running() { [ -f "$web/httpd.pid" ] && kill -0 "$(cat "$web/httpd.pid")" 2>/dev/null; }

ssha() { slappasswd -h '{SSHA}' -s "$1"; }

setup() {
	port=$1 web_port=$2
	[ -d "$lam_src" ] || die "ldap-account-manager is not installed (make deps)"
	. "$dir/secrets"
	[ -n "${UM_WEBCONSOLE_PW:-}" ] || die "no UM_WEBCONSOLE_PW in $dir/secrets"
	mkdir -p "$web"
	chmod 0755 "$web"
	ver=$(cat "$lam_src/VERSION")
	if [ "$(cat "$web/lam/VERSION" 2>/dev/null)" != "$ver" ]; then
		rm -rf "$web/lam"
		mkdir "$web/lam"
		# config, sess and tmp are symlinks into /var/lib: ours are real
		for f in "$lam_src"/* "$lam_src"/.[!.]*; do
			[ -e "$f" ] || continue
			case "${f##*/}" in config | sess | tmp) continue ;; esac
			cp -a "$f" "$web/lam/"
		done
		cp -a /var/lib/ldap-account-manager/config "$web/lam/config"
		rm -f "$web/lam/config/config.cfg" "$web/lam/config/"*.conf
		mkdir -p "$web/lam/sess" "$web/lam/tmp/internal"
	fi
	cp "$top/web/lam/lib/portalum.inc" "$web/lam/lib/"
	cp "$top/web/lam/lib/modules/"*.inc "$web/lam/lib/modules/"
	cp "$top/web/lam/lib/types/"*.inc "$web/lam/lib/types/"
	umask 077
	# a configuration password nobody keeps: LAM's configuration pages stay locked
	cfgpw=$(ssha "$(head -c 18 /dev/urandom | base64)")
	lamhash=$(printf '%s' "$cfgpw" | sed 's/[&|]/\\&/g')
	sed -e "s|@CONFIG_PASSWORD_HASH@|$lamhash|" -e "s|@WEB@|$web|g" \
		"$top/web/lam/config/config.cfg.in" >"$web/lam/config/config.cfg"
	pw=$(printf '%s' "$UM_WEBCONSOLE_PW" | sed 's/[&|\\]/\\&/g')
	sed -e "s|@URI@|ldap://127.0.0.1:$port|g" -e "s|@SUFFIX@|$suffix|g" \
		-e "s|@CONFIG_PASSWORD_HASH@|$lamhash|" -e "s|@WEBCONSOLE_PW@|$pw|" \
		"$top/web/lam/config/portal-um.conf.in" >"$web/lam/config/portal-um.conf"
	umask 022
	sed -e "s|@WEB@|$web|g" -e "s|@PORT@|$web_port|g" -e "s|@MODULES@|$modules|g" \
		"$top/web/httpd.conf.in" >"$web/httpd.conf"
	touch "$web/lam.log" "$web/php.log"
	# Apache's children run as www-data: they read the tree and own LAM's state
	chown -R www-data "$web/lam/config" "$web/lam/sess" "$web/lam/tmp" "$web/lam.log" "$web/php.log"
	chmod 0700 "$web/lam/config" "$web/lam/sess"
	# www-data must reach DIR/web through DIR (run/ holds secrets: 0711, files 0600)
	chmod o+x "$dir"
}

start() {
	port=${1:?ldap port} web_port=${2:?web port}
	if running; then
		echo "web console already running (pid $(cat "$web/httpd.pid")) on http://127.0.0.1:$web_port/"
		return 0
	fi
	setup "$port" "$web_port"
	rm -f "$web/httpd.pid"
	/usr/sbin/apache2 -f "$web/httpd.conf" -k start || {
		tail -n 20 "$web/error.log" >&2 2>/dev/null || true
		die "Apache did not start"
	}
	i=0
	while [ $i -lt 100 ]; do
		if curl -s -o /dev/null "http://127.0.0.1:$web_port/templates/login.php"; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	tail -n 20 "$web/error.log" >&2 2>/dev/null || true
	die "the web console does not answer on http://127.0.0.1:$web_port/"
}

stop() {
	running || { rm -f "$web/httpd.pid"; return 0; }
	pid=$(cat "$web/httpd.pid")
	/usr/sbin/apache2 -f "$web/httpd.conf" -k stop 2>/dev/null || kill "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$web/httpd.pid"
}

case "$cmd" in
start) start "${3:-3890}" "${4:-8389}" ;;
stop) stop ;;
*) die "unknown command $cmd" ;;
esac
