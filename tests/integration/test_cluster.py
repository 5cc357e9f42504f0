"""Past one machine (DESIGN §5, §6 `make run-cluster`): two providers in
OpenLDAP multi-provider replication on 3891 and 3892, a read-only replica on
3893, each with the delegate overlay and the same rights.yaml, provisiond
against both providers. Started with `make run-cluster` in a temp state dir
(UM_RUN_CLUSTER; the ports are the contract's), stopped at the end.

Legitimate flows on provider 1 and attacks on provider 2 give the same
verdicts and every node converges to the same entries (memberOf included);
the replica chains writes to provider 1 under the writer's identity and
applies rule 5 and the lockout to its binds; provider 1 killed mid-load:
writes go on on provider 2, provisiond fails over, nothing is lost once
provider 1 is back; a recovery mail is sent once with two provisiond."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import ldap
import pytest
from ldap.controls import LDAPControl

from conftest import PROVISIOND, SUFFIX, TOP, Directory, free_port
from helpers import (USER_PW, add_grant, diagnostic, entry, grant_dn, make_org, make_user,
                     org_dn, unique, user_dn)
from smtp_sink import SmtpSink

PORTS = (3891, 3892, 3893)
NODES = ("p1", "p2", "r3")
GROUPS = "ou=groups," + SUFFIX
ORGS = "ou=organizations," + SUFFIX
RELAX = "1.3.6.1.4.1.4203.666.5.12"
RECOVERY_OID = "2.25.217361807927623635844219787451286708447.3.1"
MAILQ = "ou=mail,ou=system," + SUFFIX
# what each node keeps for itself, not replicated
LOCAL = {"contextCSN", "pwdFailureTime", "pwdLastSuccess", "authTimestamp"}


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Cluster:
    def __init__(self, path, env, smtp):
        self.path = path
        self.env = env
        self.smtp = smtp
        self.nodes = [Directory(os.path.join(path, n), p, env) for n, p in zip(NODES, PORTS)]
        self.p1, self.p2, self.r3 = self.nodes
        self.pd_log = os.path.join(path, "provisiond.log")

    def cluster_sh(self, *args):
        return subprocess.run(["sh", os.path.join(TOP, "scripts", "cluster.sh")] + list(args),
                              env=self.env, capture_output=True, text=True)

    def pd_text(self, since=0, log=None):
        with open(log or self.pd_log, errors="replace") as f:
            f.seek(since)
            return f.read()

    def pd_wait(self, pattern, since=0, timeout=60, log=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.pd_text(since, log))
            if m:
                return m
            time.sleep(0.05)
        raise AssertionError("provisiond: no %r within %ss:\n%s"
                             % (pattern, timeout, self.pd_text(since, log)[-3000:]))

    def kill_node(self, node):
        """SIGKILL; returns once the port refuses connections (the
        process's sockets closed; its zombie may linger for its reaper)."""
        with open(os.path.join(node.path, "slapd.pid")) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGKILL)
        t = time.time()
        node.killed_pid = pid
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", node.port)) != 0:
                    return t
            time.sleep(0.005)

    def start_node(self, node):
        # instance.sh takes a zombie for a running slapd: wait for its reaper
        pid = getattr(node, "killed_pid", None)
        deadline = time.time() + 30
        while pid and time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.02)
        subprocess.run(["sh", os.path.join(TOP, "scripts", "instance.sh"), "start", node.path,
                        str(node.port)], env=self.env, check=True, capture_output=True)


def tree(node, base=SUFFIX):
    """Every entry under base with every attribute (operational ones, the
    entryCSN and memberOf included), as the rootdn, values sorted: what
    every node must hold alike."""
    c = node.root()
    try:
        res = c.search_s(base, ldap.SCOPE_SUBTREE, "(objectClass=*)", ["*", "+"])
    finally:
        c.unbind_s()
    return {dn.lower(): {k: sorted(v) for k, v in a.items() if k not in LOCAL}
            for dn, a in res}


def converged(cluster, base=SUFFIX, timeout=60):
    """The three nodes' trees once they are identical; the difference
    otherwise."""
    deadline = time.time() + timeout
    while True:
        trees = [tree(n, base) for n in cluster.nodes]
        if trees[0] == trees[1] == trees[2]:
            return trees[0]
        if time.time() > deadline:
            break
        time.sleep(0.2)
    diff = []
    for i, t in enumerate(trees[1:], 2):
        for dn in sorted(set(trees[0]) | set(t)):
            if trees[0].get(dn) != t.get(dn):
                a, b = trees[0].get(dn) or {}, t.get(dn) or {}
                diff.append("node %d %s: %s" % (i, dn, sorted(
                    k for k in set(a) | set(b) if a.get(k) != b.get(k)) if a and b
                    else "missing on one side"))
    raise AssertionError("the nodes did not converge:\n" + "\n".join(diff[:20]))


@pytest.fixture(scope="module")
def cluster():
    busy = [p for p in PORTS if not port_free(p)]
    assert not busy, ("ports %s are taken: a cluster is running (make stop), the tests "
                      "need the contract's ports" % busy)
    tmp = tempfile.mkdtemp(prefix="portal-um-cluster-")
    smtp = SmtpSink(free_port())
    env = dict(os.environ, UM_RUN_CLUSTER=tmp, UM_CLUSTER_MAIL_RELAY=smtp.url)
    out = subprocess.run(["make", "-s", "run-cluster"], cwd=TOP, env=env, capture_output=True,
                         text=True)
    c = Cluster(tmp, env, smtp)
    if out.returncode != 0:
        c.cluster_sh("stop")
        smtp.stop()
        pytest.fail("make run-cluster failed:\n%s%s" % (out.stdout, out.stderr))
    yield c
    c.cluster_sh("stop")
    smtp.stop()
    shutil.rmtree(tmp, ignore_errors=True)


def test_run_cluster_contract(cluster):
    """run-cluster/env names the three URIs beside run/env's names, mode
    0600; the replication identity's password file is 0600; every node is
    up, the replica refers to provider 1."""
    path = os.path.join(cluster.path, "env")
    assert os.stat(path).st_mode & 0o777 == 0o600
    env = dict(line.split("=", 1) for line in open(path).read().splitlines()
               if "=" in line and not line.startswith("#"))
    assert env["UM_URIS"].strip('"') == " ".join("ldap://127.0.0.1:%d" % p for p in PORTS)
    for name in ("UM_URI", "UM_SUFFIX", "UM_ROOTDN", "UM_ROOTPW", "UM_DEMO_ADMIN_DN",
                 "UM_DEMO_ADMIN_PW"):
        assert env[name], name
    assert os.stat(os.path.join(cluster.path, "replicator.pw")).st_mode & 0o777 == 0o600
    for n in cluster.nodes:
        assert n.root().whoami_s() == "dn:cn=admin," + SUFFIX
    # provisiond's uri: space-separated URLs, each checked
    bad = os.path.join(cluster.path, "bad.yaml")
    text = open(os.path.join(cluster.path, "provisiond.yaml")).read()
    with open(bad, "w") as f:
        f.write(re.sub(r'uri: "[^"]*"', 'uri: "ldap://127.0.0.1:3891 http://127.0.0.1:3892"',
                       text))
    out = subprocess.run([PROVISIOND, "-n", "-f", bad], capture_output=True, text=True)
    assert out.returncode == 1
    assert "must be ldap://, ldaps:// or ldapi:// URLs, separated by spaces" in out.stderr
    conf = open(os.path.join(cluster.r3.path, "cluster-db.conf")).read()
    assert "updateref ldap://127.0.0.1:3891" in conf and "multiprovider" not in conf
    assert "updateref ldap://127.0.0.1:3892" in conf
    # the seed, the catalogue and the first projection: the same everywhere
    converged(cluster)


@pytest.fixture(scope="module")
def orgs(cluster):
    """Organisations A and B made on provider 1, each with an administrator
    (English) and a user."""
    root = cluster.p1.root()
    w = {}
    for key in ("A", "B"):
        org_id = make_org(root, billing=["BA-1"], prefix="cl" + key.lower())
        w[key] = org_id
        w[key + "_ADMIN"] = make_user(root, org_id, "cladm", manage=["users", "admins"],
                                      grants={"emasspost": ["product:letter", "role:creation",
                                                            "billing:BA-1"]})
        w[key + "_USER"] = make_user(root, org_id, "cluser")
    return w


def attempt(node, who, op):
    """(result code, diagnostic) of op(conn) bound as who on node."""
    c = node.bind(who, USER_PW)
    try:
        op(c)
        return ("ok", "")
    except ldap.LDAPError as e:
        return (type(e).__name__, diagnostic(e))
    finally:
        c.unbind_s()


def test_flows_on_p1_attacks_on_p2_same_verdicts_and_convergence(cluster, orgs):
    """Legitimate flows on provider 1; each attack gets the same code and
    text on provider 2 as on provider 1 (the overlay decides at origin);
    every node then holds the same entries, memberOf and groups included."""
    p1, p2 = cluster.p1, cluster.p2
    admin_a = orgs["A_ADMIN"]
    # legitimate, on provider 1: a user created and given rights by A's admin
    c = p1.bind(admin_a, USER_PW)
    uid = unique("clflow")
    new = user_dn(uid, orgs["A"])
    c.add_s(new, entry({"objectClass": ["inetOrgPerson", "umUser"], "uid": uid, "cn": uid,
                        "sn": "Flow", "givenName": uid, "mail": uid.lower() + "@example.com",
                        "preferredLanguage": "en", "umGender": "male", "umStatus": "active",
                        "userPassword": "Temporary-1"}))
    add_grant(c, new, "emasspost", orgs["A"], ["product:letter", "role:creation"])
    c.unbind_s()
    converged(cluster, ORGS)  # the attacks below name what was just written

    victim = orgs["B_USER"]
    attacks = {
        # rule 1: another organisation's user
        "cross-org modify": lambda k: k.modify_s(victim, [(ldap.MOD_REPLACE, "sn", b"Owned")]),
        "cross-org grant": lambda k: k.add_s(
            grant_dn(victim, "emasspost", orgs["B"]),
            entry({"objectClass": "umGrant", "cn": "emasspost@" + orgs["B"],
                   "umApplication": "emasspost", "umScope": orgs["B"],
                   "umRight": ["product:letter"]})),
        # rule 3: a right A's admin does not hold
        "beyond own rights": lambda k: k.modify_s(
            grant_dn(new, "emasspost", orgs["A"]),
            [(ldap.MOD_ADD, "umRight", b"role:validation-price")]),
        # rule 0: the Relax control counts only for operators
        "relax control": lambda k: k.modify_ext_s(
            new, [(ldap.MOD_REPLACE, "pwdPolicySubentry", b"cn=none," + SUFFIX.encode())],
            serverctrls=[LDAPControl(RELAX, True)]),
        # rule 6: the projections
        "write a group": lambda k: k.modify_s("cn=emasspost," + GROUPS,
                                              [(ldap.MOD_ADD, "member", victim.encode())]),
        # rule 5: no deletion of users
        "delete a user": lambda k: k.delete_s(orgs["A_USER"]),
    }
    for name, op in attacks.items():
        on_p1 = attempt(p1, admin_a, op)
        on_p2 = attempt(p2, admin_a, op)
        assert on_p1[0] != "ok", (name, on_p1)
        assert on_p2 == on_p1, (name, on_p1, on_p2)
        assert on_p2[1], (name, "no diagnostic")
    assert attempt(p2, admin_a, attacks["cross-org modify"])[0] == "INSUFFICIENT_ACCESS"

    t = converged(cluster)
    # the grant made on provider 1 projected: memberOf alike on all three
    assert ("cn=emasspost-creation," + GROUPS).encode() in t[new.lower()]["memberOf"]
    assert t[victim.lower()]["sn"] == [b"Test"]


def test_replica_writes_are_chained_as_the_writer(cluster, orgs):
    """A write sent to the replica reaches provider 1 through the chain
    overlay (updateref + slapo-chain), under the writer's own identity:
    provider 1's overlay decides it exactly as if sent there."""
    r3, p1 = cluster.r3, cluster.p1
    admin_a = orgs["A_ADMIN"]
    victim = orgs["B_USER"]
    op = lambda k: k.modify_s(victim, [(ldap.MOD_REPLACE, "sn", b"Owned")])  # noqa: E731
    assert attempt(r3, admin_a, op) == attempt(p1, admin_a, op)
    assert attempt(r3, admin_a, op)[0] == "INSUFFICIENT_ACCESS"
    # a legitimate one succeeds, written by the admin (not the chain's identity)
    own = orgs["A_USER"]
    assert attempt(r3, admin_a, lambda k: k.modify_s(
        own, [(ldap.MOD_REPLACE, "sn", b"Chained")])) == ("ok", "")
    t = converged(cluster, ORGS)
    assert t[own.lower()]["sn"] == [b"Chained"]
    assert t[own.lower()]["modifiersName"][0].decode().lower() == admin_a.lower()
    assert t[victim.lower()]["sn"] == [b"Test"]


def wait_on(node, dn, attr, pred, timeout=30):
    c = node.root()
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                got = c.search_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", [attr])[0][1]
            except ldap.NO_SUCH_OBJECT:
                got = {}
            if pred(got.get(attr, [])):
                return got.get(attr, [])
            time.sleep(0.02)
    finally:
        c.unbind_s()
    raise AssertionError("%s %s not as expected on %s" % (dn, attr, node.uri))


def replica_bind(cluster, dn, pw=USER_PW):
    c = cluster.r3.bind()
    c.simple_bind_s(dn, pw)
    return c


def test_replica_binds_obey_rule_5_and_lockout(cluster, orgs):
    """Binds on the replica: a deactivated user and a temporary password
    do not pass a plain bind (the overlay's dynacl/delegate-bind, on the
    replica's own copy); failures are forwarded to provider 1
    (ppolicy_forward_updates through the chain), so the lockout is the
    cluster's, not the replica's alone."""
    root = cluster.p1.root()
    org = orgs["A"]
    ok = make_user(root, org, "clbind")
    off = make_user(root, org, "cloff")
    tmp = make_user(root, org, "cltmp", temporary=True)
    locked = make_user(root, org, "cllock")
    wait_on(cluster.r3, locked, "uid", bool)
    replica_bind(cluster, ok).unbind_s()
    # rule 5: deactivated on provider 2, refused on the replica
    p2 = cluster.p2.bind(orgs["A_ADMIN"], USER_PW)
    p2.modify_s(off, [(ldap.MOD_REPLACE, "umStatus", b"deactivated")])
    wait_on(cluster.r3, off, "umStatus", lambda v: v == [b"deactivated"])
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        replica_bind(cluster, off)
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        replica_bind(cluster, tmp)
    # lockout: pwdMaxFailure (5) failures on the replica lock the account
    # everywhere. The replica counts the failures it holds, its own forwarded
    # and replicated back: failures faster than the replication lag get a
    # few more tries (README, Cluster), never unlimited ones.
    p1 = cluster.p1.root()
    tries = 0
    while tries < 10:
        with pytest.raises(ldap.INVALID_CREDENTIALS):
            replica_bind(cluster, locked, "Wrong-Password-1")
        tries += 1
        time.sleep(0.2)
        if p1.search_s(locked, ldap.SCOPE_BASE, "(pwdAccountLockedTime=*)", ["1.1"]):
            break
    print("\nlockout on the replica after %d failed binds (pwdMaxFailure 5)" % tries)
    assert 5 <= tries <= 6, tries
    for node in cluster.nodes:
        wait_on(node, locked, "pwdAccountLockedTime", bool)
    c = cluster.p2.bind()
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        c.simple_bind_s(locked, USER_PW)
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        replica_bind(cluster, locked)


def test_grant_on_p2_reaches_the_replicas_groups(cluster, orgs):
    """A grant made on provider 2 is projected by provisiond (which writes
    to provider 1) and the membership read from the replica: the lag is
    printed (README, Cluster)."""
    root2 = cluster.p2.bind(orgs["B_ADMIN"], USER_PW)
    app = cluster.r3.bind("cn=emasspost,ou=apps,ou=system," + SUFFIX,
                          cluster.r3.secrets["UM_APP_PW"])
    group = "cn=emasspost-creation," + GROUPS
    lags, lags_of = [], []
    for i in range(20):
        u = make_user(cluster.p2.root(), orgs["B"], "cllag")
        t0 = time.time()
        add_grant(root2, u, "emasspost", orgs["B"], ["product:letter", "role:creation"])
        wait_on(cluster.r3, group, "member", lambda v, u=u: u.encode() in v)
        lags.append(time.time() - t0)
        # what an e-application reads: the user's memberOf, on the replica
        deadline = time.time() + 30
        while time.time() < deadline:
            [(_, attrs)] = app.search_s(u, ldap.SCOPE_BASE, "(objectClass=*)", ["memberOf"])
            if group.encode() in attrs.get("memberOf", []):
                break
            time.sleep(0.01)
        assert group.encode() in attrs.get("memberOf", []), u
        lags_of.append(time.time() - t0)
    for what, v in (("member of the group", lags), ("memberOf of the user", lags_of)):
        v.sort()
        print("\ngrant on provider 2 -> %s on the replica: p50 %.0f ms, p99 %.0f ms, "
              "max %.0f ms (%d grants)" % (what, v[len(v) // 2] * 1000,
                                           v[int(len(v) * 0.99)] * 1000, v[-1] * 1000, len(v)))


def test_provider_1_killed_mid_load(cluster, orgs):
    """SIGKILL provider 1 while users and grants are written through the
    providers' URI list: the writes go on on provider 2, provisiond fails
    over (its log) and goes on projecting; once provider 1 is back every
    node holds every entry and membership."""
    uris = "ldap://127.0.0.1:3891 ldap://127.0.0.1:3892"
    org = orgs["A"]
    admin = orgs["A_ADMIN"]
    done, after_kill, errors = [], [], []
    killed = threading.Event()
    t_kill = None
    since = os.path.getsize(cluster.pd_log)

    def connect():
        c = ldap.initialize(uris)
        c.set_option(ldap.OPT_NETWORK_TIMEOUT, 3)
        c.set_option(ldap.OPT_TIMEOUT, 10)
        c.simple_bind_s(admin, USER_PW)
        return c

    stop = threading.Event()

    def load():
        c = connect()
        while not stop.is_set():
            uid = unique("clload")
            dn = user_dn(uid, org)
            for attempt_no in range(20):
                try:
                    try:
                        c.add_s(dn, entry({"objectClass": ["inetOrgPerson", "umUser"],
                                           "uid": uid, "cn": uid, "sn": "Load",
                                           "givenName": uid, "mail": uid + "@example.com",
                                           "preferredLanguage": "en", "umGender": "male",
                                           "umStatus": "active",
                                           "userPassword": "Temporary-1"}))
                    except ldap.ALREADY_EXISTS:
                        pass  # written before the connection broke
                    try:
                        add_grant(c, dn, "emasspost", org, ["product:letter", "role:creation"])
                    except ldap.ALREADY_EXISTS:
                        pass
                    break
                except (ldap.SERVER_DOWN, ldap.UNAVAILABLE, ldap.TIMEOUT, ldap.CONNECT_ERROR,
                        ldap.BUSY, ldap.OTHER):
                    time.sleep(0.1)
                    try:
                        c = connect()
                    except ldap.LDAPError:
                        pass
                except ldap.LDAPError as e:
                    errors.append("%s: %r" % (dn, e))
                    return
            else:
                errors.append(dn)
                continue
            done.append(dn)
            if killed.is_set() and t_kill is not None:
                after_kill.append((dn, time.time()))
            time.sleep(0.02)

    th = threading.Thread(target=load)
    th.start()
    while len(done) < 15 and th.is_alive():
        time.sleep(0.01)
    killed.set()
    t_kill = cluster.kill_node(cluster.p1)
    print("\nSIGKILL to provider 1: its port refused after %.0f ms"
          % ((time.time() - t_kill) * 1000))
    m = cluster.pd_wait(r"lost 127\.0\.0\.1:3891", since)
    cluster.pd_wait(r"connected to 127\.0\.0\.1:3892", since + m.start())
    pd_failover = time.time() - t_kill
    while len(after_kill) < 30 and th.is_alive() and time.time() < t_kill + 60:
        time.sleep(0.05)
    stop.set()
    th.join()
    assert not errors, errors
    assert len(after_kill) >= 30, (len(done), len(after_kill))
    # the replica chains to provider 2 meanwhile: a write sent to it, and a
    # failed bind's pwdFailureTime (ppolicy_forward_updates)
    chained = orgs["A_USER"]
    assert attempt(cluster.r3, admin, lambda k: k.modify_s(
        chained, [(ldap.MOD_REPLACE, "sn", b"WhileP1Down")])) == ("ok", "")
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        replica_bind(cluster, chained, "Wrong-Password-1")
    wait_on(cluster.p2, chained, "sn", lambda v: v == [b"WhileP1Down"])
    wait_on(cluster.p2, chained, "pwdFailureTime", bool)
    # provisiond, now on provider 2, projects the grants written there
    group = "cn=emasspost-creation," + GROUPS
    last = after_kill[-1][0]
    wait_on(cluster.p2, group, "member", lambda v: last.encode() in v, timeout=60)
    print("\nprovider 1 killed: first write done on provider 2 %.0f ms after the kill "
          "(%d in all), provisiond connected to provider 2 after %.0f ms"
          % ((after_kill[0][1] - t_kill) * 1000, len(after_kill), pd_failover * 1000))
    # provisiond looks for provider 1 (and finds it down) before it is back
    cluster.pd_wait(r"ldap://127\.0\.0\.1:3891: \w+ as cn=provisiond", since + m.start(),
                    timeout=30)
    # provider 1 back: it catches up, nothing lost
    t_back = time.time()
    back = os.path.getsize(cluster.pd_log)
    cluster.start_node(cluster.p1)
    t = converged(cluster, timeout=120)
    print("provider 1 restarted: the three nodes identical after %.1f s"
          % (time.time() - t_back))
    # provisiond goes back to its first provider (failback_check)
    cluster.pd_wait(r"127\.0\.0\.1:3891 answers again, before 127\.0\.0\.1:3892", back)
    cluster.pd_wait(r"connected to 127\.0\.0\.1:3891", back)
    print("provisiond back on provider 1 %.1f s after its restart" % (time.time() - t_back))
    members = set(v.decode().lower() for v in t[group.lower()]["member"])
    for dn in done:
        assert dn.lower() in t, dn
        assert dn.lower() in members, dn
        assert (grant_dn(dn, "emasspost", org)).lower() in t


def recover(node, identifier):
    from ldap.extop import ExtendedRequest

    c = node.bind()
    msgid = c.extop(ExtendedRequest(RECOVERY_OID, identifier.encode()))
    c.result4(msgid, all=1, add_extop=1)
    c.unbind_s()


def test_recovery_mail_sent_once_with_two_provisiond(cluster, orgs):
    """Two provisiond against the providers at once: every queued recovery
    mail is claimed by one of them (the delete of its queue entry) before it
    is sent: each request gives one mail, none twice, the queue empties; and
    they do not fight over the groups (no flapping: the memberships stay)."""
    since_main = os.path.getsize(cluster.pd_log)
    conf = os.path.join(cluster.path, "provisiond2.yaml")
    state = os.path.join(cluster.path, "provisiond2")
    os.makedirs(state, exist_ok=True)
    text = open(os.path.join(cluster.path, "provisiond.yaml")).read()
    text = re.sub(r'state-dir: "[^"]*"', 'state-dir: "%s"' % state, text)
    with open(conf, "w") as f:
        f.write(text)
    log2 = os.path.join(cluster.path, "provisiond2.log")
    with open(log2, "a") as lf:
        second = subprocess.Popen([PROVISIOND, "-d", "-f", conf], stdout=lf,
                                  stderr=subprocess.STDOUT)
    try:
        cluster.pd_wait(r"in sync with", 0, log=log2)
        # both on provider 1, the first of their URIs: one server decides
        # every claim
        assert re.search(r"connected to 127\.0\.0\.1:3891", cluster.pd_text(0, log2))
        assert re.findall(r"connected to (\S+)", cluster.pd_text())[-1] == "127.0.0.1:3891"
        root = cluster.p1.root()
        users = [make_user(root, orgs["A"], "clmail", manage=["password-recovery"])
                 for _ in range(12)]
        group = "cn=emasspost-creation," + GROUPS
        before = wait_on(cluster.p1, group, "member", bool)
        converged(cluster, ORGS)  # a node asked for a user it lacks sends nothing
        for i, u in enumerate(users):
            # a third on each provider, a third on the replica, which
            # refers the request to a provider (its own copy takes no write)
            recover(cluster.nodes[i % 3], u.split(",")[0][4:])
        for u in users:
            to = u.split(",")[0][4:].lower() + "@example.com"
            cluster.smtp.wait(to, 1, timeout=30)
        deadline = time.time() + 30
        while root.search_s(MAILQ, ldap.SCOPE_ONELEVEL, "(objectClass=umMail)") and \
                time.time() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # a second send would come within a mail-interval
        for u in users:
            to = u.split(",")[0][4:].lower() + "@example.com"
            got = cluster.smtp.messages(to)
            assert len(got) == 1, (to, len(got))
            assert "token=" in got[0]["body"]
        assert root.search_s(MAILQ, ldap.SCOPE_ONELEVEL, "(objectClass=umMail)") == []
        # the token works on any provider, once; the replica redeems none
        # itself (its copy takes no write); the new password binds there
        u = users[0]
        token = re.search(r"token=([A-Za-z0-9_-]+)", cluster.smtp.messages(
            u.split(",")[0][4:].lower() + "@example.com")[0]["body"]).group(1)
        with pytest.raises(ldap.STRONG_AUTH_REQUIRED):
            cluster.r3.bind().passwd_s(u, token, "Cluster-New-1")
        cluster.p2.bind().passwd_s(u, token, "Cluster-New-1")
        # once the redemption has replicated: within the lag provider 1
        # decides alone on its own copy (README, "What each provider
        # decides alone"), which under load once took the token again
        wait_on(cluster.p1, u, "umResetTokenHash", lambda v: not v)
        with pytest.raises(ldap.INVALID_CREDENTIALS):
            cluster.p1.bind().passwd_s(u, token, "Cluster-New-2")
        deadline = time.time() + 30
        while True:
            try:
                replica_bind(cluster, u, "Cluster-New-1").unbind_s()
                break
            except ldap.INVALID_CREDENTIALS:
                assert time.time() < deadline, "the new password never reached the replica"
                time.sleep(0.05)
        # both provisiond at work: a grant and a revocation projected once,
        # the same on every node, and then nothing written any more (no
        # flapping: the groups' entryCSN stay put)
        after = wait_on(cluster.p1, group, "member", bool)
        assert set(before) <= set(after)
        admin = cluster.p2.bind(orgs["A_ADMIN"], USER_PW)
        g_user, r_user = users[1], users[2]
        add_grant(admin, g_user, "emasspost", orgs["A"], ["product:letter", "role:creation"])
        add_grant(admin, r_user, "emasspost", orgs["A"], ["product:letter", "role:creation"])
        wait_on(cluster.r3, group, "member", lambda v: r_user.encode() in v)
        admin.modify_s(grant_dn(r_user, "emasspost", orgs["A"]),
                       [(ldap.MOD_DELETE, "umRight", b"role:creation")])
        wait_on(cluster.r3, group, "member",
                lambda v: g_user.encode() in v and r_user.encode() not in v)
        t = converged(cluster)
        groups = {dn: a["entryCSN"] for dn, a in t.items() if dn.endswith(GROUPS.lower())}
        time.sleep(2.0)
        t = converged(cluster)
        assert {dn: a["entryCSN"] for dn, a in t.items()
                if dn.endswith(GROUPS.lower())} == groups
        for log, since in ((cluster.pd_log, since_main), (log2, 0)):
            text = cluster.pd_text(since, log)
            assert "update failed" not in text and "reconcile failed" not in text, text[-2000:]
            assert not re.search(r"[1-9]\d* refused", text), text[-2000:]
    finally:
        second.terminate()
        second.wait(15)
    converged(cluster)
