"""slapo-delegate in cn=config form: slapd.conf converts to slapd.d with our
olcDelegate* attributes, slapd starts from it, and a modification of
olcDelegateRights is checked like the file (file:line:col) before it lands."""
import os
import shutil
import subprocess
import tempfile
import time

import ldap
import pytest

from conftest import TOP, free_port, slap_env, start_instance, stop_instance, tool_conf

CONFIG_PW = "config-test-only"  # TEST-ONLY


@pytest.fixture(scope="module")
def config_instance():
    tmp = tempfile.mkdtemp(prefix="portal-um-cfg-")
    inst = os.path.join(tmp, "inst")
    # one start creates every database, so slaptest can open them
    start_instance(inst, free_port())
    stop_instance(inst)
    conf = open(os.path.join(inst, "slapd.conf")).read()
    # the config database (slapd.conf.in has one, for provisiond's ldapi
    # identity), with a rootdn we can bind to
    assert conf.count("\ndatabase\tconfig\n") == 1
    conf = conf.replace("\ndatabase\tconfig\n",
                        "\ndatabase\tconfig\nrootdn cn=config\nrootpw " + CONFIG_PW + "\n")
    with open(os.path.join(tmp, "slapd.conf"), "w") as f:
        f.write(tool_conf(conf))
    slapd_d = os.path.join(tmp, "slapd.d")
    os.mkdir(slapd_d)
    r = subprocess.run(["slaptest", "-f", os.path.join(tmp, "slapd.conf"), "-F", slapd_d],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    port = free_port()
    proc = subprocess.Popen(["/usr/sbin/slapd", "-d", "32768", "-F", slapd_d, "-h",
                             "ldap://127.0.0.1:%d/" % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=slap_env())
    uri = "ldap://127.0.0.1:%d" % port
    deadline = time.monotonic() + 60  # gives up on a slapd that never listens
    while True:
        try:
            c = ldap.initialize(uri)
            c.simple_bind_s("cn=config", CONFIG_PW)
            break
        except ldap.SERVER_DOWN:
            assert proc.poll() is None, proc.stderr.read().decode(errors="replace")[-4000:]
            assert time.monotonic() < deadline, "slapd (cn=config) is not listening"
            time.sleep(0.1)
    yield tmp, uri, slapd_d
    proc.terminate()
    try:
        proc.wait(10 if not os.environ.get("UM_SLAPD_PRELOAD") else 2)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(tmp)


def overlay_dn(conn):
    res = conn.search_s("cn=config", ldap.SCOPE_SUBTREE, "(objectClass=olcDelegateConfig)",
                        ["olcDelegateRights", "olcDelegateOperators",
                         "olcDelegateProvisioner"])
    assert len(res) == 1
    return res[0]


def test_slapd_d_carries_delegate_directives(config_instance):
    tmp, uri, _ = config_instance
    c = ldap.initialize(uri)
    c.simple_bind_s("cn=config", CONFIG_PW)
    dn, attrs = overlay_dn(c)
    assert "delegate" in dn
    assert attrs["olcDelegateRights"] == [os.path.join(TOP, "config",
                                                       "rights.yaml").encode()]
    assert attrs["olcDelegateOperators"][0].lower().startswith(b"cn=operators,ou=system")
    assert attrs["olcDelegateProvisioner"][0].lower().startswith(b"cn=provisiond,ou=system")


def test_broken_rights_refused_over_cn_config(config_instance):
    tmp, uri, _ = config_instance
    bad = os.path.join(tmp, "bad.yaml")
    with open(bad, "w") as f:
        f.write("version: 2\n")
    c = ldap.initialize(uri)
    c.simple_bind_s("cn=config", CONFIG_PW)
    dn, before = overlay_dn(c)
    with pytest.raises(ldap.LDAPError) as exc:
        c.modify_s(dn, [(ldap.MOD_REPLACE, "olcDelegateRights", [bad.encode()])])
    assert bad + ":1:" in exc.value.args[0].get("info", "")
    assert overlay_dn(c)[1] == before


def test_rights_path_replaced_over_cn_config(config_instance):
    tmp, uri, _ = config_instance
    copy = os.path.join(tmp, "copy.yaml")
    shutil.copy(os.path.join(TOP, "config", "rights.yaml"), copy)
    c = ldap.initialize(uri)
    c.simple_bind_s("cn=config", CONFIG_PW)
    dn, _ = overlay_dn(c)
    c.modify_s(dn, [(ldap.MOD_REPLACE, "olcDelegateRights", [copy.encode()])])
    assert overlay_dn(c)[1]["olcDelegateRights"] == [copy.encode()]
