"""Issue 2: the portal directory comes up with schema, base tree and demo;
reads are isolated per tenant; secrets never leave the server."""
import os
import re
import subprocess
import tempfile
import time

import ldap
import pytest

from conftest import (DEMO_ADMIN_PW, DEMO_PW, ORG, SUFFIX, TOP, USERS, free_port, tool_conf,
                      start_instance, stop_instance, user_dn)

ROUTER = "o=2-imagine,ou=organizations," + SUFFIX


def test_schema_loaded(root):
    res = root.search_s("cn=Subschema", ldap.SCOPE_BASE, "(objectClass=*)",
                        ["attributeTypes", "objectClasses"])
    text = b"\n".join(res[0][1]["attributeTypes"] + res[0][1]["objectClasses"])
    for name in [b"umManage", b"umStatus", b"umRight", b"umScope", b"umDelegate",
                 b"umContractKind", b"umGrant", b"umDelegation", b"umUser",
                 b"umOrganization", b"umBillingAddress", b"umContract"]:
        assert b"'" + name + b"'" in text, name
    assert b"2.25.217361807927623635844219787451286708447.1." in text


def test_base_tree(root):
    for dn in ["ou=organizations", "ou=applications", "ou=groups", "ou=system",
               "cn=operators,ou=system", "cn=provisiond,ou=system",
               "ou=apps,ou=system", "cn=default,ou=policies,ou=system"]:
        res = root.search_s(dn + "," + SUFFIX, ldap.SCOPE_BASE)
        assert res, dn


def test_demo_organisation(root):
    org = root.search_s(ORG, ldap.SCOPE_BASE, attrlist=["displayName", "umOrgKind"])
    assert org[0][1]["displayName"] == [b"BPOST CONTRACT TEAM"]
    assert org[0][1]["umOrgKind"] == [b"customer"]
    users = root.search_s(USERS, ldap.SCOPE_ONELEVEL, "(objectClass=umUser)",
                          ["uid", "creatorsName"])
    uids = {a["uid"][0].decode() for _, a in users}
    assert {"PRINTSCREENS", "ARNAUD", "Fabrice", "Antoine"} <= uids
    creator = {a["uid"][0].decode(): a["creatorsName"][0].decode() for _, a in users}
    assert creator["ARNAUD"].lower() == user_dn("PRINTSCREENS").lower()
    billing = root.search_s("ou=billing," + ORG, ldap.SCOPE_ONELEVEL,
                            "(objectClass=umBillingAddress)")
    assert len(billing) == 3
    cs = root.search_s("ou=contracts," + ORG, ldap.SCOPE_ONELEVEL,
                       "(umContractKind=cs-master)")
    assert len(cs) == 1
    national = root.search_s("ou=contracts," + ORG, ldap.SCOPE_ONELEVEL,
                             "(umContractKind=parcels-national)")
    assert len(national) == 6
    routers = root.search_s("ou=organizations," + SUFFIX, ldap.SCOPE_ONELEVEL,
                            "(umOrgKind=router)")
    # §2.3.1: every named router of the manual's list (9 rows have no name)
    assert len(routers) == 26


def test_demo_admin_lists_users_with_creator(directory):
    c = directory.bind(user_dn("PRINTSCREENS"), DEMO_ADMIN_PW)
    res = c.search_s(USERS, ldap.SCOPE_ONELEVEL, "(objectClass=umUser)",
                     ["uid", "creatorsName"])
    assert len(res) >= 4
    assert all("creatorsName" in a for _, a in res)


def test_tenant_cannot_read_other_organisation(directory):
    c = directory.bind(user_dn("IMAGINE-ADMIN", ROUTER), DEMO_PW)
    # BPOST CONTRACT TEAM delegates e-MassPost to the router 2 IMAGINE: its
    # users see that organisation's name, the delegation and the billing
    # address it names ("Mes comptes", DESIGN §3), nothing else of it
    res = c.search_s(ORG, ldap.SCOPE_SUBTREE, "(objectClass=*)", ["*"])
    assert sorted(dn.lower() for dn, _ in res) == sorted(x.lower() for x in [
        ORG, "cn=emasspost@2-imagine,ou=delegations," + ORG,
        "umBillingId=BA-1001,ou=billing," + ORG])
    assert set(dict((dn.lower(), a) for dn, a in res)[ORG.lower()]) == {
        "objectClass", "o", "displayName"}
    # not even the existence of its users shows
    with pytest.raises(ldap.NO_SUCH_OBJECT):
        c.search_s(USERS, ldap.SCOPE_SUBTREE, "(objectClass=*)")
    res = c.search_s("ou=organizations," + SUFFIX, ldap.SCOPE_SUBTREE, "(uid=*)", ["uid"])
    assert [a["uid"] for _, a in res] == [[b"IMAGINE-ADMIN"]]
    own = c.search_s(ROUTER, ldap.SCOPE_SUBTREE, "(objectClass=umUser)", ["uid"])
    assert [a["uid"] for _, a in own] == [[b"IMAGINE-ADMIN"]]


def test_customer_sees_router_list_only_name_and_address(directory):
    c = directory.bind(user_dn("Fabrice"), DEMO_PW)
    res = c.search_s("ou=organizations," + SUFFIX, ldap.SCOPE_ONELEVEL,
                     "(umOrgKind=router)", ["*"])
    assert len(res) == 26
    for _, attrs in res:
        assert set(attrs) <= {"objectClass", "o", "displayName", "postalAddress",
                              "umOrgKind"}
    with pytest.raises(ldap.NO_SUCH_OBJECT):
        c.search_s("ou=users," + ROUTER, ldap.SCOPE_ONELEVEL)


def test_anonymous_reads_nothing(directory):
    c = directory.bind()
    for base in [ORG, "ou=organizations," + SUFFIX, "ou=groups," + SUFFIX,
                 "ou=system," + SUFFIX]:
        try:
            res = c.search_s(base, ldap.SCOPE_SUBTREE, "(objectClass=*)")
        except ldap.NO_SUCH_OBJECT:
            res = []
        assert res == [], base


@pytest.mark.parametrize("attr", ["userPassword", "umSecurityAnswer"])
def test_secrets_not_readable(directory, attr):
    c = directory.bind(user_dn("PRINTSCREENS"), DEMO_ADMIN_PW)
    for who in ["PRINTSCREENS", "ARNAUD"]:
        res = c.search_s(user_dn(who), ldap.SCOPE_BASE, attrlist=[attr, "*"])
        assert attr not in res[0][1]
    # Not even the operator staff reads them.
    op = directory.operator()
    res = op.search_s(user_dn("ARNAUD"), ldap.SCOPE_BASE, attrlist=[attr])
    assert attr not in res[0][1]


def test_password_still_authenticates(directory):
    c = directory.bind(user_dn("ARNAUD"), DEMO_PW)
    assert c.whoami_s().lower() == ("dn:" + user_dn("ARNAUD")).lower()
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        directory.bind(user_dn("ARNAUD"), "wrong-password")


def test_uid_unique_across_directory(root):
    import ldap.modlist
    entry = {"objectClass": [b"inetOrgPerson", b"umUser"], "uid": [b"ARNAUD"],
             "cn": [b"Copy"], "sn": [b"Copy"], "umStatus": [b"active"]}
    with pytest.raises(ldap.CONSTRAINT_VIOLATION):
        root.add_s("uid=ARNAUD,ou=users," + ROUTER, ldap.modlist.addModlist(entry))


def test_broken_rights_yaml_refused_with_position():
    """A broken catalogue stops slapd with file:line:col (issue 2)."""
    tmp = tempfile.mkdtemp(prefix="portal-um-bad-")
    bad = os.path.join(tmp, "rights.yaml")
    inst = os.path.join(tmp, "inst")
    with open(bad, "w") as f:
        f.write("version: 1\nmanagement:\n  - id: admins\n    colour: red\n")
    try:
        subprocess.run(["sh", os.path.join(TOP, "scripts", "instance.sh"), "setup", inst],
                       check=True, capture_output=True)
        with pytest.raises(subprocess.CalledProcessError) as exc:
            start_instance(inst, free_port(), {"UM_RIGHTS": bad})
        err = exc.value.stderr.decode(errors="replace")
        assert "slapd refused to start" in err
        assert bad + ':4:5: unknown key "colour"' in err, err
        assert not os.path.exists(os.path.join(inst, "slapd.pid"))
    finally:
        stop_instance(inst)
        subprocess.run(["rm", "-rf", tmp])


def test_slaptest_reports_position(directory):
    bad = os.path.join(directory.path, "broken.yaml")
    with open(bad, "w") as f:
        f.write("version: 1\nmanagement: [\n")
    conf = tool_conf(open(os.path.join(directory.path, "slapd.conf")).read())
    conf = conf.replace(os.path.join(TOP, "config", "rights.yaml"), bad)
    path = os.path.join(directory.path, "broken.conf")
    with open(path, "w") as f:
        f.write(conf)
    r = subprocess.run(["slaptest", "-u", "-f", path], capture_output=True, text=True)
    assert r.returncode != 0
    assert bad + ":" in r.stderr


def test_without_ppolicy_slapd_names_the_real_dependency(directory):
    """pwdReset and pwdAccountLockedTime are slapo-ppolicy's: without it the
    overlay stops slapd naming the module, not um.schema (issue 11)."""
    tmp = tempfile.mkdtemp(prefix="portal-um-noppolicy-")
    try:
        conf = open(os.path.join(directory.path, "slapd.conf")).read()
        conf = "\n".join(line for line in conf.splitlines() if "ppolicy" not in line)
        conf = re.sub(r"(?m)^directory\s+\S*accesslog$", "directory\t" + tmp + "/a", conf)
        conf = re.sub(r"(?m)^directory\s+\S*/data$", "directory\t" + tmp + "/d", conf)
        conf = re.sub(r"(?m)^(pidfile|argsfile)\s+\S+", r"\1\t" + tmp + r"/\1", conf)
        for d in ("a", "d"):
            os.mkdir(os.path.join(tmp, d))
        path = os.path.join(tmp, "slapd.conf")
        with open(path, "w") as f:
            f.write(conf)
        env = dict(os.environ)
        if os.environ.get("UM_SLAPD_PRELOAD"):  # make asan: the overlay needs the runtimes
            env["LD_PRELOAD"] = os.environ["UM_SLAPD_PRELOAD"]
        log = os.path.join(tmp, "slapd.log")
        with open(log, "w") as out:
            p = subprocess.Popen(["/usr/sbin/slapd", "-d", "32768", "-f", path, "-h",
                                  "ldap://127.0.0.1:%d/" % free_port()],
                                 stdout=out, stderr=subprocess.STDOUT, env=env)
        # "slapd stopped" is the verdict (under ASan the exit itself may hang)
        for _ in range(600):
            if p.poll() is not None or "slapd stopped" in open(log).read():
                break
            time.sleep(0.1)
        stopped = p.poll()
        p.kill()
        p.wait()
        text = open(log).read()
        assert stopped != 0 and "slapd stopped" in text, text
        assert ("schema element pwdReset missing: load the ppolicy overlay "
                "(moduleload ppolicy) before delegate") in text
        assert "include um.schema" not in text
    finally:
        subprocess.run(["rm", "-rf", tmp])


def test_schema_ldif_matches_schema():
    """schema/um.ldif is the cn=config form of um.schema (make schema-ldif)."""
    r = subprocess.run(["sh", os.path.join(TOP, "scripts", "schema2ldif.sh")],
                       capture_output=True, text=True, check=True)
    assert r.stdout == open(os.path.join(TOP, "schema", "um.ldif")).read()


def test_audit_log_records_who_changed_what(directory):
    """accesslog: every write is recorded with its author; operators read it."""
    import ldap.modlist
    admin = user_dn("PRINTSCREENS")
    c = directory.bind(admin, DEMO_ADMIN_PW)
    c.modify_s(user_dn("Fabrice"), [(ldap.MOD_REPLACE, "telephoneNumber", [b"+32 2 201 11 11"])])
    op = directory.operator()
    res = op.search_s("cn=accesslog", ldap.SCOPE_SUBTREE,
                      "(&(objectClass=auditModify)(reqDN=%s))" % user_dn("Fabrice"),
                      ["reqAuthzID", "reqMod", "reqResult"])
    assert res, "no audit record"
    last = sorted(res)[-1][1]
    assert last["reqAuthzID"][0].decode().lower() == admin.lower()
    assert any(m.startswith(b"telephoneNumber:") for m in last["reqMod"])
    # a tenant cannot read the audit trail
    with pytest.raises(ldap.NO_SUCH_OBJECT):
        c.search_s("cn=accesslog", ldap.SCOPE_SUBTREE, "(objectClass=*)")


def test_audit_log_answers_who_what_when_from_its_indexes(directory):
    """The README's audit questions: what an identity wrote since a time
    (reqAuthzID, reqStart range) and who changed an entry (reqDN), answered
    from accesslog's indexes, which are exactly those three (issue 9: each
    more index is pages synced by every write)."""
    admin = user_dn("PRINTSCREENS")
    op = directory.operator()
    newest = op.search_s("cn=accesslog", ldap.SCOPE_ONELEVEL, "(objectClass=*)", ["reqStart"])
    since = max(a["reqStart"][0].decode() for _, a in newest)
    c = directory.bind(admin, DEMO_ADMIN_PW)
    c.modify_s(user_dn("Fabrice"), [(ldap.MOD_REPLACE, "telephoneNumber", [b"+32 2 201 22 22"])])
    c.unbind_s()
    res = op.search_s("cn=accesslog", ldap.SCOPE_ONELEVEL,
                      "(&(reqAuthzID=%s)(reqStart>=%s))" % (admin, since),
                      ["reqDN", "reqType", "reqStart"])
    writes = [a for _, a in res if a["reqStart"][0].decode() > since]
    assert [(a["reqType"][0], a["reqDN"][0].decode().lower()) for a in writes] == \
        [(b"modify", user_dn("Fabrice").lower())]
    res = op.search_s("cn=accesslog", ldap.SCOPE_ONELEVEL, "(reqDN=%s)" % user_dn("Fabrice"),
                      ["reqAuthzID", "reqStart"])
    assert admin.lower() in [a["reqAuthzID"][0].decode().lower() for _, a in res
                             if a["reqStart"][0].decode() > since]
    op.unbind_s()
    local = directory.config()
    try:
        (_, cfg), = local.search_s("cn=config", ldap.SCOPE_ONELEVEL,
                                   "(olcSuffix=cn=accesslog)", ["olcDbIndex"])
    finally:
        local.unbind_s()
    indexed = {v.decode().split()[0] for v in cfg["olcDbIndex"]}
    assert indexed == {"reqStart", "reqDN", "reqAuthzID"}, cfg["olcDbIndex"]
