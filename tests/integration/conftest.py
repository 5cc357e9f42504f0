"""One session fixture: a throwaway slapd from the same configuration as
`make run` (scripts/instance.sh), in a temp dir, on a free loopback port."""
import os
import socket
import subprocess
import tempfile

import ldap
import ldap.modlist
import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SUFFIX = "dc=portal,dc=example"
ORG = "o=bpost-contract-team,ou=organizations," + SUFFIX
USERS = "ou=users," + ORG
DEMO_PW = "Demo-User-1"  # TEST-ONLY, ldif/demo.ldif
DEMO_ADMIN_PW = "Demo-Admin-1"  # TEST-ONLY


PLAIN_DELEGATE = os.path.join(TOP, "build", "delegate.so")


def tool_conf(text):
    """A slapd.conf for slaptest: with a sanitized overlay (make asan) the
    plain build, since ASan's runtime deadlocks in p11-kit's destructor when
    a tool exits; the sanitized overlay runs in slapd itself."""
    so = os.environ.get("UM_DELEGATE_SO")
    return text.replace(so, PLAIN_DELEGATE) if so else text


def slap_env():
    """Environment for a slapd started by a test: the sanitizer runtimes
    preloaded when the overlay is built with them."""
    env = dict(os.environ)
    if env.get("UM_SLAPD_PRELOAD"):
        env["LD_PRELOAD"] = env["UM_SLAPD_PRELOAD"]
    return env


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def user_dn(uid, org=ORG):
    return "uid=%s,ou=users,%s" % (uid, org)


class Directory:
    def __init__(self, path, port, env):
        self.path = path
        self.port = port
        self.env = env
        self.uri = "ldap://127.0.0.1:%d" % port
        self.suffix = SUFFIX
        self.rootdn = "cn=admin," + SUFFIX
        secrets = {}
        with open(os.path.join(path, "secrets")) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                secrets[k] = v
        self.secrets = secrets
        self.rootpw = secrets["UM_ROOTPW"]

    def bind(self, dn=None, pw=None):
        c = ldap.initialize(self.uri)
        c.protocol_version = 3
        c.set_option(ldap.OPT_NETWORK_TIMEOUT, 5)
        c.set_option(ldap.OPT_TIMEOUT, 30)
        if dn is not None:
            c.simple_bind_s(dn, pw)
        return c

    def root(self):
        return self.bind(self.rootdn, self.rootpw)

    def operator(self):
        return self.bind("uid=operator,ou=system," + SUFFIX, self.secrets["UM_OPERATOR_PW"])

    def snapshot(self, base=None):
        """Every entry and attribute under base, as the rootdn: what a
        refusal must leave unchanged."""
        c = self.root()
        try:
            res = c.search_s(base or SUFFIX, ldap.SCOPE_SUBTREE, "(objectClass=*)",
                             ["*", "+"])
        finally:
            c.unbind_s()
        volatile = {"pwdFailureTime", "pwdLastSuccess", "authTimestamp",
                    "contextCSN"}
        return {dn: {k: sorted(v) for k, v in attrs.items() if k not in volatile}
                for dn, attrs in res}


def start_instance(path, port, extra_env=None):
    env = dict(os.environ)
    env.update(extra_env or {})
    subprocess.run(["sh", os.path.join(TOP, "scripts", "instance.sh"), "start", path,
                    str(port)], check=True, env=env, capture_output=True)
    return Directory(path, port, env)


def stop_instance(path):
    subprocess.run(["sh", os.path.join(TOP, "scripts", "instance.sh"), "stop", path],
                   check=False)


@pytest.fixture(scope="session")
def directory():
    tmp = tempfile.mkdtemp(prefix="portal-um-it-")
    port = free_port()
    try:
        d = start_instance(tmp, port)
    except subprocess.CalledProcessError as e:
        pytest.fail("slapd did not start: %s" % e.stderr.decode(errors="replace"))
    yield d
    stop_instance(tmp)
    subprocess.run(["rm", "-rf", tmp])


@pytest.fixture
def root(directory):
    c = directory.root()
    yield c
    c.unbind_s()
