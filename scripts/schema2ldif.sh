#!/bin/sh
# schema/um.schema -> cn=config form on stdout (schema/um.ldif), through
# slaptest so the result is exactly what slapd itself would write.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $top/schema/um.schema
CONF
mkdir "$tmp/d"
slaptest -f "$tmp/slapd.conf" -F "$tmp/d" >/dev/null 2>&1
f=$(ls "$tmp"/d/cn=config/cn=schema/cn=*um.ldif)
echo "# portal-um schema, cn=config form: generated from um.schema by"
echo "# scripts/schema2ldif.sh (make schema-ldif). Load with:"
echo "#   ldapadd -Y EXTERNAL -H ldapi:/// -f um.ldif"
grep -v -E '^(#|structuralObjectClass|entryUUID|creatorsName|createTimestamp|entryCSN|modifiersName|modifyTimestamp)' "$f" |
	sed -e 's/^dn: cn={[0-9]*}um$/dn: cn=um,cn=schema,cn=config/' \
		-e 's/^cn: {[0-9]*}um$/cn: um/'
