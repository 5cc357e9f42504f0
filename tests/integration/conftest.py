"""One session fixture: a throwaway slapd from the same configuration as
`make run` (scripts/instance.sh), in a temp dir, on a free loopback port,
and provisiond(8) projecting grants in it (config/provisiond.yaml.in)."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import ldap
import ldap.modlist
import pytest

from smtp_sink import SmtpSink

# A skip fails the run unless tests/allowed-skips.txt lists it (skip_policy.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from skip_policy import (pytest_collectreport, pytest_configure,  # noqa: E402,F401
                         pytest_runtest_makereport, pytest_sessionfinish,
                         pytest_terminal_summary)

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SUFFIX = "dc=portal,dc=example"
ORG = "o=bpost-contract-team,ou=organizations," + SUFFIX
USERS = "ou=users," + ORG
DEMO_PW = "Demo-User-1"  # TEST-ONLY, ldif/demo.ldif
DEMO_ADMIN_PW = "Demo-Admin-1"  # TEST-ONLY


PLAIN_DELEGATE = os.path.join(TOP, "build", "delegate.so")
PROVISIOND = os.path.join(TOP, "build", "provisiond")
# What provisiond writes on its own, at its own pace (rights.yaml `project:`,
# slapo-memberof): a snapshot taken around a refused write leaves it out.
PROVISIOND_SUBTREES = ("ou=groups," + SUFFIX, "ou=applications," + SUFFIX)
PROVISIOND_ATTRS = {"umAppAccess", "memberOf", "modifyTimestamp", "modifiersName", "entryCSN"}


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

    def config(self):
        """cn=config over the ldapi socket as this process's own user (SASL
        EXTERNAL), the only identity slapd.conf gives it to."""
        c = ldap.initialize("ldapi://" + os.path.join(self.path, "ldapi").replace("/", "%2F"))
        c.sasl_external_bind_s()
        return c

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
                    "contextCSN"} | PROVISIOND_ATTRS
        return {dn: {k: sorted(v) for k, v in attrs.items() if k not in volatile}
                for dn, attrs in res
                if not any(dn.lower().endswith(t.lower()) for t in PROVISIOND_SUBTREES)}


class Provisiond:
    """provisiond(8) run against a Directory: its configuration from
    config/provisiond.yaml.in (like `make run`), with its own copy of
    rights.yaml (the same content slapd reads) so that a test may break it;
    configuration, log and sync cookie under path (the template's
    state-dir, <instance>/provisiond)."""

    def __init__(self, directory, path):
        self.directory = directory
        self.path = path
        self.conf = os.path.join(path, "provisiond.yaml")
        self.rights = os.path.join(path, "rights.yaml")
        self.log = os.path.join(path, "provisiond.log")
        self.state = os.path.join(directory.path, "provisiond")  # state-dir of the template
        self.proc = None
        os.makedirs(path, exist_ok=True)
        shutil.copyfile(os.environ.get("UM_RIGHTS", os.path.join(TOP, "config", "rights.yaml")),
                        self.rights)
        self.write_conf()

    def write_conf(self, path=None, **markers):
        values = {"@URI@": self.directory.uri, "@SUFFIX@": SUFFIX,
                  "@RUN@": self.directory.path, "@RIGHTS@": self.rights}
        values.update(markers)
        with open(os.path.join(TOP, "config", "provisiond.yaml.in")) as f:
            text = f.read()
        for k, v in values.items():
            text = text.replace(k, v)
        smtp = getattr(self.directory, "smtp", None)
        if smtp is not None:
            # recovery mails (§3.3) to the test's SMTP server, looked for often
            text += '\nmail-relay: "%s"\nmail-interval: 200\n' % smtp.url
        with open(path or self.conf, "w") as f:
            f.write(text)
        return path or self.conf

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def log_text(self, since=0):
        with open(self.log, errors="replace") as f:
            f.seek(since)
            return f.read()

    def log_size(self):
        return os.path.getsize(self.log) if os.path.exists(self.log) else 0

    def wait_log(self, pattern, since=0, timeout=60):
        """Waits for pattern (a regex) in the log written after offset since;
        timeout only gives up on a line that never comes (generous: a slow
        machine is no failure)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.log_text(since))
            if m:
                return m
            if self.proc is not None and self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError("provisiond: no %r in its log within %ss:\n%s"
                             % (pattern, timeout, self.log_text(since)[-4000:]))

    def start(self, wait=True, args=(), env=None):
        since = self.log_size()
        log = open(self.log, "a")
        try:
            self.proc = subprocess.Popen([PROVISIOND, "-d", "-f", self.conf] + list(args),
                                         stdout=log, stderr=subprocess.STDOUT, env=env)
        finally:
            log.close()
        if wait:
            self.wait_log(r"in sync with", since)
        return since

    def send(self, sig):
        self.proc.send_signal(sig)

    def kill(self, sig=signal.SIGKILL):
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        return rc

    def stop(self):
        return self.kill(signal.SIGTERM)

    def restart(self, wait=True):
        self.stop()
        return self.start(wait)


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
    d.smtp = SmtpSink(free_port())
    d.provisiond = Provisiond(d, os.path.join(tmp, "provisiond"))
    try:
        d.provisiond.start()
    except AssertionError as e:
        d.provisiond.kill()
        stop_instance(tmp)
        pytest.fail(str(e))
    yield d
    d.provisiond.stop()
    d.smtp.stop()
    if os.environ.get("UM_PROVISIOND_LOG"):  # keep it for a post-mortem
        shutil.copyfile(d.provisiond.log, os.environ["UM_PROVISIOND_LOG"])
    if os.environ.get("UM_SLAPD_LOG"):  # e.g. a sanitizer's report
        shutil.copyfile(os.path.join(tmp, "slapd.log"), os.environ["UM_SLAPD_LOG"])
    stop_instance(tmp)
    subprocess.run(["rm", "-rf", tmp])


@pytest.fixture
def root(directory):
    c = directory.root()
    yield c
    c.unbind_s()
