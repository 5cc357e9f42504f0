"""Corporate sync (issue 9, DESIGN §6): a second slapd on loopback plays a
customer's own directory (plain inetOrgPerson, dc=corp,dc=example, 1k
users, syncprov); provisiond's `sources:` brings its users into the
customer's organisation and keeps them current, never deleting anyone,
and holds a run that would deactivate too many."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import ldap
import ldap.controls
import ldap.modlist
import pytest

from conftest import PROVISIOND, SUFFIX, Provisiond, free_port, start_instance, stop_instance
from helpers import add_grant, delete_tree, make_org, make_user, org_dn

CORP = "dc=corp,dc=example"
PEOPLE = "ou=people," + CORP
CORP_ROOTPW = "corp-secret"  # TEST-ONLY
NUSERS = 1000
DEADLINE = 60
RUN_DONE = r"source corp(: \d+ upstream| would deactivate| returned no users|: run discarded)"


class Corp:
    """The corporate directory: its own minimal slapd (no portal overlay)."""

    def __init__(self, path):
        self.path = path
        self.port = free_port()
        self.uri = "ldap://127.0.0.1:%d" % self.port
        self.proc = None
        os.makedirs(os.path.join(path, "data"), exist_ok=True)
        with open(os.path.join(path, "slapd.conf"), "w") as f:
            f.write("""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile %(p)s/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload syncprov
sizelimit unlimited
database mdb
suffix "%(s)s"
rootdn "cn=admin,%(s)s"
rootpw %(pw)s
directory %(p)s/data
# mdb's default map (10 MB) holds about 20k people; bench/sync.py loads 100k
maxsize 1073741824
index objectClass,entryCSN,entryUUID eq
# a reader that gets 300 entries at most: an incomplete answer
limits dn.exact="cn=limited,%(s)s" size.prtotal=300 size.soft=300 size.hard=300
access to * by * read
overlay syncprov
syncprov-checkpoint 100 10
syncprov-sessionlog 10000
""" % {"p": path, "s": CORP, "pw": CORP_ROOTPW})
        self.pwfile = os.path.join(path, "reader.pw")
        with open(self.pwfile, "w") as f:
            f.write(CORP_ROOTPW + "\n")
        os.chmod(self.pwfile, 0o600)
        ldif = ["dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: corp\no: Corp\n" % CORP,
                "dn: %s\nobjectClass: organizationalUnit\nou: people\n" % PEOPLE,
                "dn: ou=former,%s\nobjectClass: organizationalUnit\nou: former\n" % CORP,
                "dn: ou=sales,%s\nobjectClass: organizationalUnit\nou: sales\n" % PEOPLE,
                "dn: cn=limited,%s\nobjectClass: person\ncn: limited\nsn: limited\n"
                "userPassword: %s\n" % (CORP, CORP_ROOTPW)]
        for i in range(NUSERS):
            ldif.append(person_ldif(i))
        with open(os.path.join(path, "load.ldif"), "w") as f:
            f.write("\n".join(ldif))
        subprocess.run(["slapadd", "-q", "-f", os.path.join(path, "slapd.conf"), "-l",
                        os.path.join(path, "load.ldif")], check=True, capture_output=True)

    def listen_uris(self):
        return [self.uri]

    def start(self):
        log = open(os.path.join(self.path, "slapd.log"), "a")
        self.proc = subprocess.Popen(["/usr/sbin/slapd", "-d", "0", "-f",
                                      os.path.join(self.path, "slapd.conf"), "-h",
                                      " ".join(u + "/" for u in self.listen_uris())],
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                with open(os.path.join(self.path, "slapd.log"), errors="replace") as f:
                    raise AssertionError("corporate slapd exited %s:\n%s"
                                         % (self.proc.returncode, f.read()[-3000:]))
            try:
                self.conn().unbind_s()
                return
            except ldap.SERVER_DOWN:
                time.sleep(0.1)
        raise AssertionError("corporate slapd did not start")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(30)
            self.proc = None

    def conn(self):
        c = ldap.initialize(self.uri)
        c.set_option(ldap.OPT_NETWORK_TIMEOUT, 5)
        c.simple_bind_s("cn=admin," + CORP, CORP_ROOTPW)
        return c


def person_ldif(i, ou=PEOPLE):
    return ("dn: cn=Person %(i)d,%(ou)s\nobjectClass: inetOrgPerson\ncn: Person %(i)d\n"
            "sn: Person%(i)d\ngivenName: Corp\nuid: corp%(i)05d\n"
            "mail: corp%(i)d@corp.example\n%(lang)s" %
            {"i": i, "ou": ou, "lang": "preferredLanguage: fr\n" if i % 2 else ""})


def corp_uid(i):
    return "corp%05d" % i


@pytest.fixture(scope="module")
def corp():
    tmp = tempfile.mkdtemp(prefix="portal-um-corp-")
    c = Corp(tmp)
    c.start()
    yield c
    c.stop()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def org(directory):
    root = directory.root()
    org_id = make_org(root, prefix="corp")
    root.unbind_s()
    return org_id


def sources_yaml(corp, org_id, **kw):
    src = {"id": "corp", "uri": corp.uri, "bind-dn": "cn=admin," + CORP,
           "password-file": corp.pwfile, "base": PEOPLE, "filter": "(objectClass=inetOrgPerson)",
           "organisation": org_id, "default-language": "nl", "mode": "poll", "interval": 1,
           "max-deactivate": "10%"}
    src.update(kw)
    lines = ["sources:", "  - id: %s" % src.pop("id")]
    for k, v in src.items():
        lines.append('    %s: "%s"' % (k, v) if isinstance(v, str) else "    %s: %s" % (k, v))
    return "\n".join(lines) + "\n"


def configure(directory, corp, org_id, **kw):
    """The session's provisiond, with a sources: list, reloaded (SIGHUP)."""
    p = directory.provisiond
    p.write_conf()
    with open(p.conf, "a") as f:
        f.write(sources_yaml(corp, org_id, **kw))
    since = p.log_size()
    p.send(signal.SIGHUP)
    p.wait_log(r"reload: .* loaded", since)
    return since


@pytest.fixture(scope="module")
def synced(directory, corp, org):
    since = configure(directory, corp, org)
    directory.provisiond.wait_log(r"source corp: \d+ upstream", since, timeout=120)
    yield org
    directory.provisiond.write_conf()
    since = directory.provisiond.log_size()
    directory.provisiond.send(signal.SIGHUP)
    directory.provisiond.wait_log(r"reload: .* loaded", since)
    root = directory.root()
    delete_tree(root, org_dn(org))
    root.unbind_s()


def users(directory, org_id, attrs=("uid", "umStatus", "umSource", "umSourceKey", "cn", "mail",
                                     "preferredLanguage", "umSourceGone", "givenName", "sn")):
    root = directory.root()
    try:
        res = root.search_s("ou=users," + org_dn(org_id), ldap.SCOPE_ONELEVEL,
                            "(objectClass=umUser)", list(attrs))
    finally:
        root.unbind_s()
    return {a["uid"][0].decode(): {k: [x.decode() for x in v] for k, v in a.items()}
            for _, a in res}


def wait_until(probe, timeout=DEADLINE):
    deadline = time.time() + timeout
    while True:
        v = probe()
        if v or time.time() > deadline:
            assert v, "condition not met after %ss" % timeout
            return v
        time.sleep(0.1)


def portal_user(org_id, uid):
    return "uid=%s,ou=users,%s" % (uid, org_dn(org_id))


def corp_uuid(corp, dn):
    c = corp.conn()
    try:
        return c.search_s(dn, ldap.SCOPE_BASE, attrlist=["entryUUID"])[0][1]["entryUUID"][0].decode()
    finally:
        c.unbind_s()


def one_run(directory):
    """Waits for the next complete run of the source (interval 1 s)."""
    p = directory.provisiond
    since = p.log_size()
    p.wait_log(RUN_DONE, since)
    return p.wait_log(RUN_DONE, p.log_size())


def corp_passwords(corp, passwords):
    """userPassword of people at the corporate directory: {index: password}"""
    c = corp.conn()
    try:
        for i, pw in passwords.items():
            c.modify_s("cn=Person %d,%s" % (i, PEOPLE),
                       [(ldap.MOD_REPLACE, "userPassword", [pw.encode()])])
    finally:
        c.unbind_s()


def portal_with_org(tmp_path, prefix):
    """A portal instance of its own (no demo) and a new organisation in it:
    (directory, its path, its port, the orgId)"""
    path, port = str(tmp_path / "portal"), free_port()
    d = start_instance(path, port, {"UM_DEMO": "0"})
    root = d.root()
    try:
        org_id = make_org(root, prefix=prefix)
    finally:
        root.unbind_s()
    return d, path, port, org_id


# ---- the tests -----------------------------------------------------------------------


def test_initial_import(directory, corp, synced):
    u = wait_until(lambda: len(users(directory, synced)) == NUSERS and users(directory, synced))
    one = u[corp_uid(7)]
    assert one["umSource"] == ["corp"]
    assert one["umSourceKey"] == [corp_uuid(corp, "cn=Person 7," + PEOPLE)]
    assert one["umStatus"] == ["active"]
    assert one["cn"] == ["Person 7"] and one["mail"] == ["corp7@corp.example"]
    assert one["preferredLanguage"] == ["fr"]
    assert u[corp_uid(8)]["preferredLanguage"] == ["nl"]  # default-language
    # no password is ever copied
    root = directory.root()
    assert "userPassword" not in root.search_s(portal_user(synced, corp_uid(7)), ldap.SCOPE_BASE,
                                               attrlist=["userPassword"])[0][1]
    # written by the provisioner, through the overlay (accesslog records it)
    res = directory.root().search_s(portal_user(synced, corp_uid(7)), ldap.SCOPE_BASE,
                                    attrlist=["creatorsName"])
    assert res[0][1]["creatorsName"][0].decode().lower() == ("cn=provisiond,ou=system,"
                                                             + SUFFIX).lower()
    root.unbind_s()


def test_add_modify_rename_move(directory, corp, synced):
    c = corp.conn()
    c.add_s("cn=Newcomer,%s" % PEOPLE, ldap.modlist.addModlist({
        "objectClass": [b"inetOrgPerson"], "cn": [b"Newcomer"], "sn": [b"Comer"],
        "givenName": [b"New"], "uid": [b"corpnew"], "mail": [b"new@corp.example"],
        "preferredLanguage": [b"de-CH"]}))
    c.modify_s("cn=Person 10," + PEOPLE, [(ldap.MOD_REPLACE, "mail", [b"ten@corp.example"])])
    c.rename_s("cn=Person 11," + PEOPLE, "cn=Person Eleven")
    c.rename_s("cn=Person 12," + PEOPLE, "cn=Person 12", "ou=sales," + PEOPLE)
    c.unbind_s()
    u = wait_until(lambda: (lambda x: "corpnew" in x and x[corp_uid(10)]["mail"] == ["ten@corp.example"]
                            and x[corp_uid(11)]["cn"] == ["Person Eleven"] and x)(
        users(directory, synced)))
    assert u["corpnew"]["preferredLanguage"] == ["de"]
    assert u["corpnew"]["umStatus"] == ["active"]
    # the move is followed by entryUUID: the same portal user, still active
    assert u[corp_uid(12)]["umStatus"] == ["active"]
    assert u[corp_uid(12)]["umSourceKey"] == [corp_uuid(corp, "cn=Person 12,ou=sales," + PEOPLE)]


def test_admin_edit_of_owned_field_is_overwritten(directory, corp, synced):
    root = directory.root()
    root.modify_s(portal_user(synced, corp_uid(13)), [(ldap.MOD_REPLACE, "mail", [b"x@y.example"])])
    root.unbind_s()
    wait_until(lambda: users(directory, synced)[corp_uid(13)]["mail"] == ["corp13@corp.example"])


def test_removed_is_deactivated_rights_kept_and_back_reactivated(directory, corp, synced):
    root = directory.root()
    dn = portal_user(synced, corp_uid(20))
    add_grant(root, dn, "emasspost", synced, ["product:letter", "role:creation"])
    c = corp.conn()
    # out of the base: gone for the portal
    c.rename_s("cn=Person 20," + PEOPLE, "cn=Person 20", "ou=former," + CORP)
    wait_until(lambda: users(directory, synced)[corp_uid(20)]["umStatus"] == ["deactivated"])
    u = users(directory, synced)[corp_uid(20)]
    assert u.get("umSourceGone")
    grant = "cn=emasspost@%s,%s" % (synced, dn)
    assert root.search_s(grant, ldap.SCOPE_BASE)  # rights kept
    # an administrator's deactivation is the portal's: never undone by the sync
    root.modify_s(portal_user(synced, corp_uid(21)), [(ldap.MOD_REPLACE, "umStatus", [b"deactivated"])])
    # back
    c.rename_s("cn=Person 20,ou=former," + CORP, "cn=Person 20", PEOPLE)
    wait_until(lambda: users(directory, synced)[corp_uid(20)]["umStatus"] == ["active"])
    assert "umSourceGone" not in users(directory, synced)[corp_uid(20)]
    assert root.search_s(grant, ldap.SCOPE_BASE)[0][1]["umRight"]
    one_run(directory)
    assert users(directory, synced)[corp_uid(21)]["umStatus"] == ["deactivated"]
    root.modify_s(portal_user(synced, corp_uid(21)), [(ldap.MOD_REPLACE, "umStatus", [b"active"])])
    root.unbind_s()


def test_deleted_and_added_again_upstream_is_the_same_user(directory, corp, synced):
    c = corp.conn()
    c.delete_s("cn=Person 30," + PEOPLE)
    wait_until(lambda: users(directory, synced)[corp_uid(30)]["umStatus"] == ["deactivated"])
    c.add_s("cn=Person 30," + PEOPLE, ldap.modlist.addModlist({
        "objectClass": [b"inetOrgPerson"], "cn": [b"Person 30"], "sn": [b"Person30"],
        "givenName": [b"Corp"], "uid": [corp_uid(30).encode()], "mail": [b"corp30@corp.example"]}))
    c.unbind_s()
    uuid = corp_uuid(corp, "cn=Person 30," + PEOPLE)
    wait_until(lambda: users(directory, synced)[corp_uid(30)]["umSourceKey"] == [uuid])
    assert users(directory, synced)[corp_uid(30)]["umStatus"] == ["active"]


def test_uid_collision_with_another_organisation_is_skipped(directory, corp, synced):
    root = directory.root()
    other = make_org(root, prefix="other")
    taken = make_user(root, other, prefix="taken")
    uid = ldap.dn.str2dn(taken)[0][0][1]
    before = root.search_s(taken, ldap.SCOPE_BASE, attrlist=["*"])
    c = corp.conn()
    c.add_s("cn=Intruder,%s" % PEOPLE, ldap.modlist.addModlist({
        "objectClass": [b"inetOrgPerson"], "cn": [b"Intruder"], "sn": [b"Intruder"],
        "givenName": [b"In"], "uid": [uid.encode()], "mail": [b"in@corp.example"]}))
    c.unbind_s()
    p = directory.provisiond
    p.wait_log(r'uid "%s" .* already belongs to a user of another organisation: skipped'
               % re.escape(uid), p.log_size())
    assert uid not in users(directory, synced)
    assert root.search_s(taken, ldap.SCOPE_BASE, attrlist=["*"]) == before
    # and one of this organisation that is not the source's
    mine = make_user(root, synced, prefix="local")
    luid = ldap.dn.str2dn(mine)[0][0][1]
    c = corp.conn()
    c.add_s("cn=Local Twin,%s" % PEOPLE, ldap.modlist.addModlist({
        "objectClass": [b"inetOrgPerson"], "cn": [b"Local Twin"], "sn": [b"Twin"],
        "givenName": [b"Local"], "uid": [luid.encode()], "mail": [b"twin@corp.example"]}))
    c.delete_s("cn=Intruder,%s" % PEOPLE)
    c.unbind_s()
    p.wait_log(r'uid "%s" .* already belongs to .*not this source.s: skipped' % re.escape(luid),
               p.log_size())
    assert "umSource" not in users(directory, synced)[luid]
    c = corp.conn()
    c.delete_s("cn=Local Twin,%s" % PEOPLE)
    c.unbind_s()
    delete_tree(root, org_dn(other))
    root.unbind_s()


def statuses(directory, org_id):
    return {k: v["umStatus"][0] for k, v in users(directory, org_id).items()}


def test_incomplete_answer_changes_nothing(directory, corp, synced):
    """The source answers 300 entries then sizeLimitExceeded (a reader with
    limits), and then is stopped: no run applies anything."""
    one_run(directory)
    before = statuses(directory, synced)
    configure(directory, corp, synced, **{"bind-dn": "cn=limited," + CORP, "max-deactivate": "100%"})
    m = one_run(directory)
    assert "discarded" in m.group(0)
    assert statuses(directory, synced) == before
    configure(directory, corp, synced, **{"max-deactivate": "100%"})
    one_run(directory)
    corp.stop()
    try:
        m = one_run(directory)
        assert "discarded" in m.group(0)
        assert statuses(directory, synced) == before
    finally:
        corp.start()
        configure(directory, corp, synced)


def run_cli(directory, *args):
    return subprocess.run([PROVISIOND, "-f", directory.provisiond.conf] + list(args),
                          capture_output=True, text=True, timeout=120)


def test_thresholds_hold_dry_run_and_force(directory, corp, synced):
    before = statuses(directory, synced)
    active = sum(1 for s in before.values() if s == "active")
    # the source answers nothing: held
    configure(directory, corp, synced, filter="(uid=nobody-at-all)")
    m = one_run(directory)
    assert "returned no users" in m.group(0)
    assert statuses(directory, synced) == before
    # a mass removal (every odd user out of the filter): held, shown by --dry-run
    since = configure(directory, corp, synced, filter="(|(preferredLanguage=fr)(uid=corpnew))")
    m = one_run(directory)
    assert "would deactivate" in m.group(0)
    assert statuses(directory, synced) == before
    assert "provisiond --force-source corp" in directory.provisiond.log_text(since)
    r = run_cli(directory, "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "held" in r.stdout
    changes = re.findall(r"^dn: (.*)\nchangetype: modify\nreplace: umStatus\numStatus: deactivated$",
                         r.stdout, re.M)
    assert len(changes) >= NUSERS // 2 - 10
    assert statuses(directory, synced) == before  # a dry run writes nothing
    # --force-source applies the held run once
    r = run_cli(directory, "--force-source", "corp")
    assert r.returncode == 0, r.stderr
    after = statuses(directory, synced)
    assert sum(1 for s in after.values() if s == "active") < active - NUSERS // 2 + 20
    assert after[corp_uid(1)] == "active" and after[corp_uid(2)] == "deactivated"
    # all back: reactivated (no threshold on coming back)
    configure(directory, corp, synced)
    wait_until(lambda: statuses(directory, synced)[corp_uid(2)] == "active")
    assert run_cli(directory, "--force-source", "nosuch").returncode == 1


def test_held_source_is_in_sd_notify_status_until_it_comes_right(corp, tmp_path):
    """A held run is shown where an administrator looks, `systemctl status`
    (sd_notify STATUS), with its reason; the next good run clears it."""
    d, path, _, org_id = portal_with_org(tmp_path, "held")
    three = "(|(uid=corp00060)(uid=corp00061)(uid=corp00062))"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(0.2)
    statuses_seen = []

    def receive():
        try:
            statuses_seen.extend(m[len("STATUS="):] for m in sock.recv(4096).decode().split("\n")
                                 if m.startswith("STATUS="))
            return True
        except socket.timeout:
            return False

    def status_until(pred):
        deadline = time.time() + DEADLINE
        while time.time() < deadline:
            receive()
            if statuses_seen and pred(statuses_seen[-1]):
                return statuses_seen[-1]
        raise AssertionError("sd_notify STATUS: only %r" % statuses_seen[-10:])

    def sources(filter):
        p.write_conf()
        with open(p.conf, "a") as f:
            f.write(sources_yaml(corp, org_id, filter=filter))

    p = Provisiond(d, str(tmp_path / "provisiond"))
    try:
        sources(three)
        since = p.start(env=dict(os.environ, NOTIFY_SOCKET=str(tmp_path / "notify")))
        p.wait_log(r"source corp: 3 upstream, 3 added", since)
        ok = "in sync with %s" % d.uri
        status_until(lambda s: s == ok)
        sources("(uid=nobody-at-all)")
        p.send(signal.SIGHUP)
        held = status_until(lambda s: "held" in s)
        assert held == ok + "; source corp returned no users (3 known): held, nothing applied"
        assert {u: a["umStatus"] for u, a in users(d, org_id).items()} == \
            {corp_uid(i): ["active"] for i in (60, 61, 62)}
        sources(three)
        since = p.log_size()
        p.send(signal.SIGHUP)
        p.wait_log(r"source corp: 3 upstream, 0 added", since)
        status_until(lambda s: s == ok)
        seen = len(statuses_seen)
        since = p.log_size()
        p.wait_log(r"source corp: 3 upstream, 0 added", since)  # the next run: still clear
        while receive():
            pass
        assert statuses_seen[-1] == ok
        assert "syncing source corp" in statuses_seen[seen:]  # a run went by
        assert not [s for s in statuses_seen[seen:] if "held" in s]
    finally:
        p.stop()
        sock.close()
        stop_instance(path)


def test_sources_config_errors(directory, corp, synced, tmp_path):
    p = directory.provisiond
    bad = str(tmp_path / "bad.yaml")
    p.write_conf(bad)
    with open(bad, "a") as f:
        f.write("sources:\n  - id: corp\n    uri: \"http://x\"\n    base: \"dc=corp\"\n"
                "    organisation: x\n    mode: pull\n    max-deactivate: 10\n    colour: red\n"
                "    authentication: remote\n")  # accepted
    r = subprocess.run([PROVISIOND, "-n", "-f", bad], capture_output=True, text=True)
    assert r.returncode == 1
    for what in ('"uri" must be an ldap', '"mode" must be one of', '"max-deactivate" must be a share',
                 'colour'):
        assert re.search(r"bad\.yaml:\d+:\d+: .*%s" % re.escape(what), r.stderr), r.stderr


def test_syncrepl_mode_live_and_resumes_from_cookie(directory, corp, synced):
    """mode: syncrepl: refreshAndPersist on the source; a change upstream
    is in the portal within the batch delay, no interval needed; the
    cookie of the last applied run is kept, and a restart resumes from it."""
    p = directory.provisiond
    since = configure(directory, corp, synced, mode="syncrepl", interval=3600)
    p.wait_log(r"source corp: sync (started|resumed)", since)
    p.wait_log(r"source corp: \d+ upstream", since)
    cookie = os.path.join(p.state, "source-corp.cookie")
    wait_until(lambda: os.path.exists(cookie))
    c = corp.conn()
    since = p.log_size()
    t0 = time.time()
    c.modify_s("cn=Person 40," + PEOPLE, [(ldap.MOD_REPLACE, "sn", [b"Live"])])
    wait_until(lambda: users(directory, synced)[corp_uid(40)]["sn"] == ["Live"], timeout=30)
    assert time.time() - t0 < 10  # the bench measures the latency; this is no interval
    # applied on its own (the user looked up by umSourceKey), no whole run
    p.wait_log(r"source corp: 1 notified, 0 added, 1 updated", since)
    assert not re.search(r"source corp: \d+ upstream", p.log_text(since))
    since = p.log_size()
    c.add_s("cn=Syncrepl New," + PEOPLE, ldap.modlist.addModlist({
        "objectClass": [b"inetOrgPerson"], "cn": [b"Syncrepl New"], "sn": [b"New"],
        "givenName": [b"Syncrepl"], "uid": [b"corpsyncnew"], "mail": [b"sn@corp.example"]}))
    wait_until(lambda: "corpsyncnew" in users(directory, synced), timeout=30)
    p.wait_log(r"source corp: 1 notified, 1 added", since)
    # a delete may be a mass removal: a whole run, with its thresholds
    since = p.log_size()
    c.delete_s("cn=Syncrepl New," + PEOPLE)
    wait_until(lambda: users(directory, synced)["corpsyncnew"]["umStatus"] == ["deactivated"],
               timeout=30)
    p.wait_log(r"source corp: \d+ upstream, 0 added, 0 updated, 1 deactivated", since)
    # stopped, a change upstream, started: resumed from the cookie and applied
    p.stop()
    c.modify_s("cn=Person 41," + PEOPLE, [(ldap.MOD_REPLACE, "sn", [b"WhileAway"])])
    c.unbind_s()
    since = p.start()
    p.wait_log(r"source corp: sync resumed", since)
    wait_until(lambda: users(directory, synced)[corp_uid(41)]["sn"] == ["WhileAway"], timeout=30)
    configure(directory, corp, synced)


def test_remote_authentication(corp, tmp_path):
    """authentication: remote: a synced user binds to the portal with its
    corporate password (slapo-remoteauth binds at the source as umSourceDN,
    the source named by umSource), never copied; a wrong one fails; a
    deactivated user is refused by the delegate overlay before remoteauth
    runs, even with the right corporate password (DESIGN rule 5). slapd's
    lines come from provisiond --remoteauth-conf through instance.sh."""
    corp_passwords(corp, {50: "Corp-Pass-50", 51: "Corp-Pass-51"})
    d, path, port, org_id = portal_with_org(tmp_path, "remote")
    p = None
    try:
        p = Provisiond(d, str(tmp_path / "provisiond"))
        d.provisiond = p
        with open(p.conf, "a") as f:
            f.write(sources_yaml(corp, org_id, authentication="remote",
                                 filter="(|(uid=corp00050)(uid=corp00051)(uid=corp00052))"))
        # slapd reads slapo-remoteauth's lines at start: restarted with them
        stop_instance(path)
        d = start_instance(path, port, {"UM_DEMO": "0", "UM_PROVISIOND_CONF": p.conf})
        p.directory = d
        with open(os.path.join(path, "remoteauth.conf")) as f:
            conf = f.read()
        assert re.search(r"^remoteauth_mapping\s+corp %s$" % re.escape(corp.uri), conf, re.M)
        assert re.search(r"^remoteauth_tls\s+starttls=no tls_reqcert=demand$", conf, re.M)
        since = p.start()
        p.wait_log(r"source corp: 3 upstream", since)

        def bind(uid, pw):
            conn = ldap.initialize(d.uri)
            conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 5)
            try:
                conn.simple_bind_s(portal_user(org_id, uid), pw)
                return conn.whoami_s()
            finally:
                conn.unbind_s()

        u50, u51 = corp_uid(50), corp_uid(51)
        assert bind(u50, "Corp-Pass-50").lower() == "dn:" + portal_user(org_id, u50).lower()
        with pytest.raises(ldap.INVALID_CREDENTIALS):
            bind(u50, "Corp-Pass-51")
        with pytest.raises(ldap.INVALID_CREDENTIALS):
            bind(corp_uid(52), "Corp-Pass-50")  # none upstream: nothing to bind with
        # never copied: no password in the portal, the source DN kept current
        root = d.root()
        got = root.search_s(portal_user(org_id, u50), ldap.SCOPE_BASE,
                            attrlist=["userPassword", "umSourceDN", "umSource"])[0][1]
        assert "userPassword" not in got
        assert got["umSourceDN"] == [("cn=Person 50," + PEOPLE).encode()]
        # deactivated in the portal: refused with the right corporate password
        assert bind(u51, "Corp-Pass-51")
        root.modify_s(portal_user(org_id, u51), [(ldap.MOD_REPLACE, "umStatus", [b"deactivated"])])
        with pytest.raises(ldap.INVALID_CREDENTIALS):
            bind(u51, "Corp-Pass-51")
        root.modify_s(portal_user(org_id, u51), [(ldap.MOD_REPLACE, "umStatus", [b"active"])])
        assert bind(u51, "Corp-Pass-51")
        assert "userPassword" not in root.search_s(portal_user(org_id, u51), ldap.SCOPE_BASE,
                                                   attrlist=["userPassword"])[0][1]
        root.unbind_s()
    finally:
        if p is not None:
            p.stop()
        stop_instance(path)


def test_remote_source_added_moved_removed_without_restarting_slapd(corp, tmp_path):
    """A source with authentication: remote added, moved or removed on
    SIGHUP reaches the running slapd: provisiond sets slapo-remoteauth in
    cn=config (in memory) through the ldapi socket as its own user (SASL
    EXTERNAL). The overlay is inserted before delegate, so rule 5 still
    refuses a deactivated user whose corporate password is right."""
    corp_passwords(corp, {60: "Corp-Pass-60"})
    d, path, _, org_id = portal_with_org(tmp_path, "ralive")
    p = None
    try:
        with open(os.path.join(path, "remoteauth.conf")) as f:
            assert "overlay" not in f.read()  # slapd started with no remote source
        p = Provisiond(d, str(tmp_path / "provisiond"))
        d.provisiond = p
        p.start()
        user = portal_user(org_id, corp_uid(60))

        def bind(pw):
            conn = ldap.initialize(d.uri)
            conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 5)
            try:
                conn.simple_bind_s(user, pw)
                return True
            except ldap.INVALID_CREDENTIALS:
                return False
            except ldap.OPERATIONS_ERROR as e:  # the source did not answer
                assert e.args[0]["info"] == "remoteauth_bind operations error"
                return None
            finally:
                conn.unbind_s()

        def reload(**kw):
            p.write_conf()
            with open(p.conf, "a") as f:
                f.write(sources_yaml(corp, org_id, filter="(uid=corp00060)", **kw))
            since = p.log_size()
            p.send(signal.SIGHUP)
            p.wait_log(r"reload: .* loaded", since)
            return since

        since = reload(authentication="remote")
        p.wait_log(r"remote authentication: slapd's cn=config now has 1 source", since)
        p.wait_log(r"source corp: 1 upstream", since)
        assert bind("Corp-Pass-60")
        assert not bind("Corp-Pass-61")
        # before delegate: a deactivated user is refused with the right password
        root = d.root()
        root.modify_s(user, [(ldap.MOD_REPLACE, "umStatus", [b"deactivated"])])
        assert not bind("Corp-Pass-60")
        root.modify_s(user, [(ldap.MOD_REPLACE, "umStatus", [b"active"])])
        assert bind("Corp-Pass-60")
        # moved: slapd now asks the new address (nothing listens there)
        dead = "ldap://127.0.0.1:%d" % free_port()
        since = reload(authentication="remote", uri=dead)
        p.wait_log(r"remote authentication: slapd's cn=config now has 1 source", since)
        assert bind("Corp-Pass-60") is None
        since = reload(authentication="remote")
        p.wait_log(r"remote authentication: slapd's cn=config now has 1 source", since)
        assert bind("Corp-Pass-60")
        # back to local authentication: the mapping is gone
        since = reload(authentication="local")
        p.wait_log(r"remote authentication: slapd's cn=config now has 0 sources", since)
        assert not bind("Corp-Pass-60")
        assert "userPassword" not in root.search_s(user, ldap.SCOPE_BASE,
                                                   attrlist=["userPassword"])[0][1]
        root.unbind_s()
        # nobody else reaches cn=config: not the rootdn, not anonymous, not
        # the rootdn asserting the local identity by proxy authorization
        for who in (d.root(), ldap.initialize(d.uri)):
            with pytest.raises((ldap.NO_SUCH_OBJECT, ldap.INSUFFICIENT_ACCESS)):
                who.search_s("cn=config", ldap.SCOPE_BASE)
        local = d.config()

        def log_level():
            return local.search_s("cn=config", ldap.SCOPE_BASE,
                                  attrlist=["olcLogLevel"])[0][1].get("olcLogLevel")

        before = log_level()
        with pytest.raises(ldap.INSUFFICIENT_ACCESS):
            d.root().modify_s("cn=config", [(ldap.MOD_REPLACE, "olcLogLevel", [b"any"])])
        assert log_level() == before
        peer = "dn:gidNumber=%d+uidNumber=%d,cn=peercred,cn=external,cn=auth" % (os.getgid(),
                                                                                 os.getuid())
        with pytest.raises(ldap.PROXIED_AUTHORIZATION_DENIED) as e:
            d.root().search_ext_s("cn=config", ldap.SCOPE_BASE, serverctrls=[
                ldap.controls.ProxyAuthzControl(True, peer.encode())])
        assert e.value.args[0]["info"] == "not authorized to assume identity"
    finally:
        if p is not None:
            p.stop()
        stop_instance(path)


def test_remote_sources_reach_a_slapd_that_starts_after_provisiond(corp, tmp_path):
    """provisiond started while slapd is down tells slapd its remote
    sources once it can connect (cn=config is in memory: a slapd started
    with a remoteauth.conf of no source would otherwise never have them)."""
    corp_passwords(corp, {62: "Corp-Pass-62"})
    d, path, port, org_id = portal_with_org(tmp_path, "ralate")
    p = None
    try:
        stop_instance(path)
        p = Provisiond(d, str(tmp_path / "provisiond"))
        d.provisiond = p
        with open(p.conf, "a") as f:
            f.write(sources_yaml(corp, org_id, authentication="remote", filter="(uid=corp00062)"))
        since = p.start(wait=False)
        time.sleep(1)
        assert "cn=config now has" not in p.log_text(since)
        d = start_instance(path, port, {"UM_DEMO": "0"})
        p.directory = d
        with open(os.path.join(path, "remoteauth.conf")) as f:
            assert "overlay" not in f.read()
        p.wait_log(r"remote authentication: slapd's cn=config now has 1 source", since)
        p.wait_log(r"source corp: 1 upstream", since)
        conn = ldap.initialize(d.uri)
        conn.simple_bind_s(portal_user(org_id, corp_uid(62)), "Corp-Pass-62")
        conn.unbind_s()
    finally:
        if p is not None:
            p.stop()
        stop_instance(path)
