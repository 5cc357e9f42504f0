"""Corporate sync over TLS (DESIGN §6, `tls:` and `tls-ca-file:` of a
source): the corporate directory of test_sync.py, here with a TEST-ONLY CA
and server certificate, listening on ldap:// (StartTLS) and ldaps://, and
refusing any simple bind without TLS (`security simple_bind=128`), so that
a bind that succeeds proves the connection was encrypted. provisiond
always verifies the certificate (demand, hostname checked) against
tls-ca-file; slapo-remoteauth gets the same setting through
`provisiond --remoteauth-conf`."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import ldap
import ldap.modlist
import pytest

import test_sync as ts
from conftest import PROVISIOND, Provisiond, free_port, start_instance, stop_instance
from helpers import delete_tree, make_org, org_dn

CORP = ts.CORP
PEOPLE = ts.PEOPLE
ADMIN = "cn=admin," + CORP
NUSERS = 20  # small: the file runs in seconds
SRC = "tlscorp"  # the source id of every test here
OPENSSL = "openssl"


# ---- a TEST-ONLY PKI ------------------------------------------------------------------


class Pki:
    """A CA, a server certificate for 127.0.0.1 / localhost signed by it,
    and a second, unrelated CA: all TEST-ONLY, made by the openssl CLI."""

    def __init__(self, path):
        self.path = path
        self.ca, self.ca_key = self._ca("ca", "portal-um TEST-ONLY CA")
        self.wrong_ca, self.wrong_ca_key = self._ca("wrong-ca", "portal-um TEST-ONLY wrong CA")
        self.cert = os.path.join(path, "server.pem")
        self.key = os.path.join(path, "server.key")
        csr = os.path.join(path, "server.csr")
        ext = os.path.join(path, "server.ext")
        with open(ext, "w") as f:
            f.write("basicConstraints = critical, CA:FALSE\n"
                    "keyUsage = critical, digitalSignature, keyEncipherment\n"
                    "extendedKeyUsage = serverAuth\n"
                    "subjectAltName = IP:127.0.0.1, DNS:localhost, DNS:127.0.0.1\n"
                    "subjectKeyIdentifier = hash\n"
                    "authorityKeyIdentifier = keyid\n")
        self._run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                  "-nodes", "-keyout", self.key, "-out", csr, "-subj", "/CN=127.0.0.1")
        os.chmod(self.key, 0o600)
        self._run("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key,
                  "-CAcreateserial", "-days", "2", "-sha256", "-extfile", ext, "-out", self.cert)

    def _run(self, *args):
        r = subprocess.run([OPENSSL] + list(args), cwd=self.path, capture_output=True, text=True)
        assert r.returncode == 0, "openssl %s: %s" % (args[0], r.stderr)

    def _ca(self, name, cn):
        cert = os.path.join(self.path, name + ".pem")
        key = os.path.join(self.path, name + ".key")
        self._run("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                  "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-sha256", "-subj",
                  "/CN=" + cn, "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        os.chmod(key, 0o600)
        return cert, key


class TlsCorp(ts.Corp):
    """test_sync's corporate slapd with TLS: ldap:// (StartTLS) on one port,
    ldaps:// on another, and ldaps:// on 127.0.0.2 too (a name the
    certificate does not carry); no simple bind without TLS."""

    def __init__(self, path, pki):
        saved = ts.NUSERS
        ts.NUSERS = NUSERS
        try:
            super().__init__(path)
        finally:
            ts.NUSERS = saved
        self.pki = pki
        self.ldap_uri = self.uri
        self.ldaps_uri = "ldaps://127.0.0.1:%d" % free_port()
        self.badname_uri = "ldaps://127.0.0.2:%d" % free_port()
        conf = os.path.join(path, "slapd.conf")
        with open(conf) as f:
            text = f.read()
        tls = ("TLSCACertificateFile %s\nTLSCertificateFile %s\nTLSCertificateKeyFile %s\n"
               "# a simple bind needs TLS (confidentialityRequired otherwise)\n"
               "security simple_bind=128\n" % (pki.ca, pki.cert, pki.key))
        assert "\ndatabase mdb\n" in text
        text = text.replace("\ndatabase mdb\n", "\n" + tls + "database mdb\n", 1)
        with open(conf, "w") as f:
            f.write(text)
        r = subprocess.run(["slaptest", "-u", "-f", conf], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr

    def listen_uris(self):
        return [self.ldap_uri, self.ldaps_uri, self.badname_uri]

    def conn(self, uri=None, ca=None, starttls=False, dn=ADMIN, pw=ts.CORP_ROOTPW,
             reqcert=ldap.OPT_X_TLS_DEMAND):
        """A verified TLS connection (ldaps://, or StartTLS on ldap://)."""
        c = ldap.initialize(uri or self.ldaps_uri)
        c.set_option(ldap.OPT_NETWORK_TIMEOUT, 5)
        c.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, reqcert)
        c.set_option(ldap.OPT_X_TLS_CACERTFILE, ca or self.pki.ca)
        c.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
        if starttls:
            c.start_tls_s()
        c.simple_bind_s(dn, pw)
        return c


@pytest.fixture(scope="module")
def pki():
    tmp = tempfile.mkdtemp(prefix="portal-um-pki-")
    try:
        yield Pki(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def tcorp(pki, directory):
    tmp = tempfile.mkdtemp(prefix="portal-um-tlscorp-")
    c = TlsCorp(tmp, pki)
    c.start()
    try:
        yield c
        # the session's provisiond as the other files expect it: no sources
        restore(directory)
    finally:
        c.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def restore(directory):
    """The session's provisiond with its own configuration (no sources)."""
    p = directory.provisiond
    p.write_conf()
    since = p.log_size()
    p.send(signal.SIGHUP)
    p.wait_log(r"reload: .* loaded", since)


@pytest.fixture
def org(directory, tcorp):
    """A fresh organisation; afterwards the session provisiond without
    sources, then the organisation removed (uid is unique across the
    directory: the next test imports the same corporate users)."""
    root = directory.root()
    org_id = make_org(root, prefix="tlscorp")
    root.unbind_s()
    yield org_id
    restore(directory)
    root = directory.root()
    delete_tree(root, org_dn(org_id))
    root.unbind_s()


def configure(directory, corp, org_id, **kw):
    kw.setdefault("id", SRC)
    return ts.configure(directory, corp, org_id, **kw)


def users(directory, org_id):
    return ts.users(directory, org_id)


def statuses(directory, org_id):
    return {k: v["umStatus"][0] for k, v in users(directory, org_id).items()}


def uids():
    return {ts.corp_uid(i) for i in range(NUSERS)}


def imported(directory, corp, org_id, since):
    """The first run after since: every corporate user added, active, the
    source's."""
    p = directory.provisiond
    m = p.wait_log(r"source %s: (\d+) upstream, (\d+) added" % SRC, since)
    assert (int(m.group(1)), int(m.group(2))) == (NUSERS, NUSERS), m.group(0)
    u = users(directory, org_id)
    assert set(u) == uids()
    assert all(v["umStatus"] == ["active"] and v["umSource"] == [SRC] for v in u.values())
    one = u[ts.corp_uid(3)]
    assert one["umSourceKey"] == [ts.corp_uuid(corp, "cn=Person 3," + PEOPLE)]
    assert one["mail"] == ["corp3@corp.example"]
    return u


def failed_runs(directory, since, uri, n=2):
    """Waits for n runs after since that failed to connect to uri; returns
    the log text from the first failure on."""
    p = directory.provisiond
    m = p.wait_log(r"%s: [^\n]*" % re.escape(uri), since)
    start = since + len(p.log_text(since)[:m.start()].encode())
    pat = r"source %s: run discarded, nothing applied" % SRC
    deadline = time.time() + 30
    while len(re.findall(pat, p.log_text(start))) < n:
        assert time.time() < deadline, p.log_text(start)[-3000:]
        time.sleep(0.1)
    return p.log_text(start)


# ---- the corporate directory itself ---------------------------------------------------


def test_corp_refuses_clear_binds_and_serves_tls(tcorp, pki):
    """What the other tests rely on: no simple bind without TLS; the
    certificate verifies against the CA (ldaps:// and StartTLS), not
    against the wrong CA, nor for a name it does not carry."""
    c = ldap.initialize(tcorp.ldap_uri)
    c.set_option(ldap.OPT_NETWORK_TIMEOUT, 5)
    with pytest.raises(ldap.CONFIDENTIALITY_REQUIRED):
        c.simple_bind_s(ADMIN, ts.CORP_ROOTPW)
    c.unbind_s()
    for c in (tcorp.conn(), tcorp.conn(tcorp.ldap_uri, starttls=True)):
        assert c.whoami_s().lower() == "dn:" + ADMIN.lower()
        assert len(c.search_s(PEOPLE, ldap.SCOPE_SUBTREE, "(objectClass=inetOrgPerson)",
                              ["1.1"])) == NUSERS
        c.unbind_s()
    with pytest.raises(ldap.SERVER_DOWN):
        tcorp.conn(ca=pki.wrong_ca)
    with pytest.raises(ldap.CONNECT_ERROR):
        tcorp.conn(tcorp.ldap_uri, ca=pki.wrong_ca, starttls=True)
    with pytest.raises(ldap.SERVER_DOWN):
        tcorp.conn(tcorp.badname_uri)  # right CA, wrong name
    # ... and only the name: without the name check, the same is accepted
    tcorp.conn(tcorp.badname_uri, reqcert=ldap.OPT_X_TLS_ALLOW).unbind_s()


# ---- runs over TLS --------------------------------------------------------------------


def test_ldaps_with_ca_file_imports(directory, tcorp, pki, org):
    since = configure(directory, tcorp, org, uri=tcorp.ldaps_uri, **{"tls-ca-file": pki.ca})
    imported(directory, tcorp, org, since)
    assert "run discarded" not in directory.provisiond.log_text(since)


def test_starttls_with_ca_file_imports(directory, tcorp, pki, org):
    since = configure(directory, tcorp, org, uri=tcorp.ldap_uri, tls="starttls",
                      **{"tls-ca-file": pki.ca})
    imported(directory, tcorp, org, since)
    assert "run discarded" not in directory.provisiond.log_text(since)
    # and kept current over it
    c = tcorp.conn()
    c.modify_s("cn=Person 4," + PEOPLE, [(ldap.MOD_REPLACE, "mail", [b"four@corp.example"])])
    c.unbind_s()
    try:
        ts.wait_until(lambda: users(directory, org)[ts.corp_uid(4)]["mail"]
                      == ["four@corp.example"], timeout=30)
    finally:
        c = tcorp.conn()
        c.modify_s("cn=Person 4," + PEOPLE, [(ldap.MOD_REPLACE, "mail", [b"corp4@corp.example"])])
        c.unbind_s()


def test_clear_bind_refused_changes_nothing(directory, tcorp, pki, org):
    """Imported over ldaps://, then the same source without TLS: the corp
    refuses the bind (confidentiality required), the run is discarded and
    nobody is deactivated, even with max-deactivate 100%."""
    since = configure(directory, tcorp, org, uri=tcorp.ldaps_uri, **{"tls-ca-file": pki.ca,
                                                                      "max-deactivate": "100%"})
    imported(directory, tcorp, org, since)
    before = statuses(directory, org)
    since = configure(directory, tcorp, org, uri=tcorp.ldap_uri, **{"max-deactivate": "100%"})
    text = failed_runs(directory, since, tcorp.ldap_uri)
    assert re.search(r"%s: binding as %s: Confidentiality required" %
                     (re.escape(tcorp.ldap_uri), re.escape(ADMIN)), text, re.I), text
    assert re.search(r"source %s: run discarded, nothing applied: Confidentiality required"
                     % SRC, text, re.I), text
    assert not re.search(r"source %s: \d+ upstream" % SRC, text), text
    assert statuses(directory, org) == before
    assert set(before) == uids() and set(before.values()) == {"active"}


@pytest.mark.parametrize("how", ["ldaps", "starttls"])
def test_wrong_ca_fails_and_applies_nothing(directory, tcorp, pki, org, how):
    kw = {"tls-ca-file": pki.wrong_ca}
    if how == "ldaps":
        uri, step, err = tcorp.ldaps_uri, "binding", "Can't contact LDAP server"
    else:
        uri, step, err = tcorp.ldap_uri, "starting TLS", "Connect error"
        kw["tls"] = "starttls"
    since = configure(directory, tcorp, org, uri=uri, **kw)
    text = failed_runs(directory, since, uri)
    assert re.search(r"%s: %s as %s: %s" % (re.escape(uri), step, re.escape(ADMIN),
                                            re.escape(err)), text), text
    assert "source %s: run discarded, nothing applied: %s" % (SRC, err) in text, text
    assert not re.search(r"source %s: \d+ upstream" % SRC, text), text
    assert users(directory, org) == {}


def test_hostname_is_checked(directory, tcorp, pki, org):
    """The right CA, but a host the certificate does not name (127.0.0.2,
    where the corp listens too): refused."""
    since = configure(directory, tcorp, org, uri=tcorp.badname_uri, **{"tls-ca-file": pki.ca})
    text = failed_runs(directory, since, tcorp.badname_uri)
    assert re.search(r"%s: binding as %s: Can't contact LDAP server"
                     % (re.escape(tcorp.badname_uri), re.escape(ADMIN)), text), text
    assert users(directory, org) == {}


# ---- configuration --------------------------------------------------------------------


def source_text(corp, org_id="x", **kw):
    kw.setdefault("id", SRC)
    return ts.sources_yaml(corp, org_id, **kw)


def line_of(path, needle, nth=1):
    with open(path) as f:
        found = [i for i, line in enumerate(f, 1) if needle in line]
    return found[nth - 1]


def check_conf(directory, tmp_path, name, text):
    path = str(tmp_path / name)
    directory.provisiond.write_conf(path)
    with open(path, "a") as f:
        f.write(text)
    r = subprocess.run([PROVISIOND, "-n", "-f", path], capture_output=True, text=True, timeout=60)
    return path, r


def test_tls_config_accepted(directory, tcorp, pki, tmp_path):
    for i, kw in enumerate([{"uri": tcorp.ldaps_uri, "tls-ca-file": pki.ca},
                            {"uri": tcorp.ldap_uri, "tls": "starttls", "tls-ca-file": pki.ca},
                            {"uri": tcorp.ldap_uri, "tls": "starttls"},
                            {"uri": tcorp.ldaps_uri},
                            {"uri": tcorp.ldap_uri, "tls": "none"}]):
        path, r = check_conf(directory, tmp_path, "ok%d.yaml" % i, source_text(tcorp, **kw))
        assert r.returncode == 0, (kw, r.stderr)


@pytest.mark.parametrize("case", ["starttls-on-ldaps", "ca-without-tls", "ca-with-tls-none",
                                  "ca-unreadable", "tls-bogus", "remote-different-ca",
                                  "remote-tls-and-none", "remote-starttls-then-ldaps",
                                  "remote-ldaps-then-starttls"])
def test_tls_config_errors(directory, tcorp, pki, tmp_path, case):
    missing = str(tmp_path / "no-such-ca.pem")
    if case == "starttls-on-ldaps":
        text = source_text(tcorp, uri=tcorp.ldaps_uri, tls="starttls")
        key, what = "tls:", '"tls: starttls" is for an ldap:// uri'
    elif case == "ca-without-tls":
        text = source_text(tcorp, uri=tcorp.ldap_uri, **{"tls-ca-file": pki.ca})
        key, what = "tls-ca-file:", '"tls-ca-file" without TLS'
    elif case == "ca-with-tls-none":
        text = source_text(tcorp, uri=tcorp.ldap_uri, tls="none", **{"tls-ca-file": pki.ca})
        key, what = "tls-ca-file:", '"tls-ca-file" without TLS'
    elif case == "ca-unreadable":
        text = source_text(tcorp, uri=tcorp.ldaps_uri, **{"tls-ca-file": missing})
        key, what = "tls-ca-file:", '"tls-ca-file": %s: No such file or directory' % missing
    elif case == "tls-bogus":
        text = source_text(tcorp, uri=tcorp.ldap_uri, tls="required")
        key, what = "tls:", '"tls" must be one of'
    else:
        # slapo-remoteauth has one remoteauth_tls for all its mappings: the
        # remote sources must agree on tls (none | starttls) and tls-ca-file.
        # ldaps:// (tls: none) beside ldap:// + starttls, same CA: one
        # setting cannot serve both (starttls=no sends the second source's
        # passwords in clear; starttls=critical breaks the ldaps:// one).
        starttls = {"uri": tcorp.ldap_uri, "tls": "starttls", "tls-ca-file": pki.ca}
        ldaps = {"uri": tcorp.ldaps_uri, "tls-ca-file": pki.ca}
        first, second = {
            "remote-different-ca": (starttls, dict(starttls, **{"tls-ca-file": pki.wrong_ca})),
            "remote-tls-and-none": (starttls, {"uri": tcorp.ldap_uri}),
            "remote-starttls-then-ldaps": (starttls, ldaps),
            "remote-ldaps-then-starttls": (ldaps, starttls)}[case]
        text = (source_text(tcorp, authentication="remote", **first) +
                source_text(tcorp, id="other", organisation="y", authentication="remote",
                            **second).split("\n", 1)[1])
        key, what = "- id: other", "slapo-remoteauth has one TLS setting for every source"
    path, r = check_conf(directory, tmp_path, "bad.yaml", text)
    assert r.returncode == 1, (r.stdout, r.stderr)
    m = re.search(r"provisiond: %s:(\d+):(\d+): [^\n]*%s" % (re.escape(path), re.escape(what)),
                  r.stderr)
    assert m, r.stderr
    assert int(m.group(1)) == line_of(path, key), (r.stderr, open(path).read())


def remoteauth_conf(tmp_path, directory, text, name="ra.yaml"):
    path = str(tmp_path / name)
    directory.provisiond.write_conf(path)
    with open(path, "a") as f:
        f.write(text)
    r = subprocess.run([PROVISIOND, "--remoteauth-conf", "-f", path], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def ra_tls(out):
    """slapo-remoteauth's TLS setting in a remoteauth.conf, {key: value}
    (the order of the keys and the quoting of values left free); {} when
    there is no remoteauth_tls line."""
    lines = re.findall(r"^remoteauth_tls\s+(.*)$", out, re.M)
    assert len(lines) <= 1, out
    if not lines:
        return {}
    opts = {}
    for tok in re.findall(r'(\w+)=("[^"]*"|\S+)', lines[0]):
        opts[tok[0]] = tok[1].strip('"')
    return opts


def test_remoteauth_conf_tls_lines(directory, tcorp, pki, tmp_path):
    """`provisiond --remoteauth-conf`: slapo-remoteauth verifies the
    certificate (tls_reqcert=demand) against tls-ca-file, StartTLS critical
    on an ldap:// uri; no TLS there for a source without it."""
    out = remoteauth_conf(tmp_path, directory, source_text(
        tcorp, uri=tcorp.ldap_uri, authentication="remote", tls="starttls",
        **{"tls-ca-file": pki.ca}))
    assert re.search(r'^remoteauth_mapping\s+%s "?%s"?$' % (SRC, re.escape(tcorp.ldap_uri)), out,
                     re.M), out
    assert ra_tls(out) == {"tls_reqcert": "demand", "starttls": "critical",
                           "tls_cacert": pki.ca}, out
    # ldaps://: TLS from the connection on, no StartTLS
    out = remoteauth_conf(tmp_path, directory, source_text(
        tcorp, uri=tcorp.ldaps_uri, authentication="remote", **{"tls-ca-file": pki.ca}))
    opts = ra_tls(out)
    assert opts.pop("starttls", "no") == "no", out
    assert opts == {"tls_reqcert": "demand", "tls_cacert": pki.ca}, out
    # StartTLS with the system's CAs
    out = remoteauth_conf(tmp_path, directory, source_text(
        tcorp, uri=tcorp.ldap_uri, authentication="remote", tls="starttls"))
    assert ra_tls(out) == {"tls_reqcert": "demand", "starttls": "critical"}, out
    # no TLS: neither StartTLS nor a CA (local authentication: no mapping at all)
    out = remoteauth_conf(tmp_path, directory, source_text(
        tcorp, uri=tcorp.ldap_uri, authentication="remote"))
    opts = ra_tls(out)
    assert opts.get("starttls", "no") == "no" and "tls_cacert" not in opts, out
    out = remoteauth_conf(tmp_path, directory, source_text(
        tcorp, uri=tcorp.ldap_uri, tls="starttls", authentication="local",
        **{"tls-ca-file": pki.ca}))
    assert "remoteauth_mapping" not in out and pki.ca not in out, out


# ---- remote authentication over StartTLS -----------------------------------------------


def test_remote_authentication_over_starttls(tcorp, pki, tmp_path):
    """authentication: remote, ldap:// + tls: starttls + tls-ca-file: a
    synced user binds to the portal with its corporate password. The corp
    refuses simple binds in clear, so slapo-remoteauth did StartTLS with the
    CA of remoteauth.conf; a wrong password fails."""
    ts.corp_passwords(tcorp, {5: "Corp-Tls-5", 6: "Corp-Tls-6"})
    # the corporate password works at the corp, over TLS only
    tcorp.conn(dn="cn=Person 5," + PEOPLE, pw="Corp-Tls-5").unbind_s()
    d, path, port, org_id = ts.portal_with_org(tmp_path, "tlsremote")
    p = None
    try:
        p = Provisiond(d, str(tmp_path / "provisiond"))
        d.provisiond = p
        with open(p.conf, "a") as f:
            f.write(source_text(tcorp, org_id, uri=tcorp.ldap_uri, authentication="remote",
                                tls="starttls", filter="(|(uid=corp00005)(uid=corp00006))",
                                **{"tls-ca-file": pki.ca}))
        stop_instance(path)
        d = start_instance(path, port, {"UM_DEMO": "0", "UM_PROVISIOND_CONF": p.conf})
        p.directory = d
        with open(os.path.join(path, "remoteauth.conf")) as f:
            conf = f.read()
        assert ra_tls(conf) == {"tls_reqcert": "demand", "starttls": "critical",
                                "tls_cacert": pki.ca}, conf
        since = p.start()
        p.wait_log(r"source %s: 2 upstream, 2 added" % SRC, since)

        def bind(uid, pw):
            conn = ldap.initialize(d.uri)
            conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 5)
            try:
                conn.simple_bind_s(ts.portal_user(org_id, uid), pw)
                return conn.whoami_s()
            finally:
                conn.unbind_s()

        u5, u6 = ts.corp_uid(5), ts.corp_uid(6)
        assert bind(u5, "Corp-Tls-5").lower() == "dn:" + ts.portal_user(org_id, u5).lower()
        assert bind(u6, "Corp-Tls-6").lower() == "dn:" + ts.portal_user(org_id, u6).lower()
        with pytest.raises(ldap.INVALID_CREDENTIALS):
            bind(u5, "Corp-Tls-6")
        root = d.root()
        got = root.search_s(ts.portal_user(org_id, u5), ldap.SCOPE_BASE,
                            attrlist=["userPassword", "umSource"])[0][1]
        root.unbind_s()
        assert "userPassword" not in got and got["umSource"] == [SRC.encode()]
    finally:
        if p is not None:
            p.stop()
        stop_instance(path)
