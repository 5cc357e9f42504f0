#!/bin/sh
# Install every build/test dependency and prepare the OpenLDAP source tree
# whose headers match Debian's slapd (DESIGN §7). Idempotent.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"

pkgs="slapd ldap-utils libldap-dev libyaml-dev libsystemd-dev libssl-dev
libcurl4-openssl-dev libcmocka-dev dpkg-dev libsasl2-dev libgnutls28-dev
libwrap0-dev libltdl-dev libargon2-dev unixodbc-dev python3-ldap
python3-pytest python3-yaml python3-aiosmtpd python3-pexpect valgrind clang clang-format
libclang-rt-14-dev apache2 curl openssl proftpd-core proftpd-mod-ldap
ldap-account-manager libapache2-mod-php locales chromium chromium-driver python3-selenium"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done

src=/etc/apt/sources.list.d/portal-um-deb-src.sources
need_update=0
if [ ! -f "$src" ]; then
	cat >"$src" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	need_update=1
fi
[ -n "$missing" ] && need_update=1

if [ "$need_update" = 1 ]; then
	apt-get update -q
fi
if [ -n "$missing" ]; then
	# Debian's slapd postinst would start a system slapd; keep it off.
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
	rm -f /usr/sbin/policy-rc.d
fi
# Debian enables a system proftpd; the tests run their own on loopback only
if [ -d /etc/systemd/system ] && [ ! -e /etc/systemd/system/proftpd.service ]; then
	ln -s /dev/null /etc/systemd/system/proftpd.service
fi

# the web console (LAM) speaks the administrator's language through gettext
for l in fr_FR nl_NL de_DE en_GB; do
	locale -a 2>/dev/null | grep -qx "$l.utf8" || localedef -i "$l" -f UTF-8 "$l.UTF-8"
done

ver=$(dpkg-query -W -f='${Version}' slapd | sed 's/-[^-]*$//')
tree="$build/openldap-$ver"
mkdir -p "$build"
if [ ! -d "$tree" ]; then
	(cd "$build" && apt-get source -q openldap)
fi
if [ ! -f "$tree/include/ldap_config.h" ] || [ ! -f "$tree/include/portable.h" ]; then
	(cd "$tree" &&
		eval ./configure --prefix=/usr \
			$(grep -v '^#' debian/configure.options | tr '\n' ' ') \
			--enable-perl=no --enable-sql=no >"$build/configure.log" 2>&1 &&
		make -C include >"$build/make-include.log" 2>&1)
fi
ln -sfn "openldap-$ver" "$build/openldap"
echo "deps: ok ($tree)"
