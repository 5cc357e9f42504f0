"""End to end: Debian's Apache httpd with mod_authnz_ldap set up as the
e-application "e-MassPost" (a location that requires the projected group of
the creation role), and Debian's ProFTPD with mod_ldap as the FTP server of
manual §2.2.4 (requires the projected group of umManage ftp), against the
same slapd + provisiond as the integration suite."""
import ftplib
import grp
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import base64

import pytest

# A skip fails the run unless tests/allowed-skips.txt lists it (skip_policy.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from skip_policy import (pytest_collectreport, pytest_configure,  # noqa: E402,F401
                         pytest_runtest_makereport, pytest_sessionfinish,
                         pytest_terminal_summary)

import importlib.util

# The integration suite's fixture (slapd + provisiond) and helpers, loaded
# under another name: both directories have a conftest.py.
_INTEGRATION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration")
_spec = importlib.util.spec_from_file_location("integration_conftest",
                                               os.path.join(_INTEGRATION, "conftest.py"))
integration = importlib.util.module_from_spec(_spec)
sys.path.insert(0, _INTEGRATION)
_spec.loader.exec_module(integration)

directory = integration.directory
root = integration.root
free_port = integration.free_port
SUFFIX = integration.SUFFIX

MODULES = "/usr/lib/apache2/modules"
GROUP = "cn=emasspost-creation,ou=groups," + SUFFIX

HTTPD_CONF = """
LoadModule mpm_event_module {mods}/mod_mpm_event.so
LoadModule authn_core_module {mods}/mod_authn_core.so
LoadModule authz_core_module {mods}/mod_authz_core.so
LoadModule authz_user_module {mods}/mod_authz_user.so
LoadModule auth_basic_module {mods}/mod_auth_basic.so
LoadModule ldap_module {mods}/mod_ldap.so
LoadModule authnz_ldap_module {mods}/mod_authnz_ldap.so
LoadModule dir_module {mods}/mod_dir.so
DirectoryIndex index.html
ServerRoot "{root}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{root}/httpd.pid"
ErrorLog "{root}/error.log"
LogLevel warn authnz_ldap:debug
User www-data
Group www-data
DocumentRoot "{root}/htdocs"
Mutex file:{root}
# Authorization must follow the directory at once (right granted -> 200)
LDAPCacheEntries 0
LDAPOpCacheEntries 0
LDAPConnectionTimeout 5
<Directory "{root}/htdocs">
    Require all granted
</Directory>
<Location "/emasspost/creation">
    AuthType Basic
    AuthName "e-MassPost"
    AuthBasicProvider ldap
    AuthLDAPURL "{ldap}/ou=organizations,{suffix}?uid?sub?(objectClass=umUser)"
    AuthLDAPBindDN "cn=emasspost,ou=apps,ou=system,{suffix}"
    AuthLDAPBindPassword "{pw}"
    AuthLDAPGroupAttribute member
    AuthLDAPGroupAttributeIsDN on
    Require ldap-group {group}
</Location>
"""


class Httpd:
    def __init__(self, directory):
        self.root = tempfile.mkdtemp(prefix="portal-um-httpd-")
        os.chmod(self.root, 0o755)
        self.port = free_port()
        page = os.path.join(self.root, "htdocs", "emasspost", "creation")
        os.makedirs(page)
        with open(os.path.join(page, "index.html"), "w") as f:
            f.write("e-MassPost: new deposit\n")
        for d, _, files in os.walk(self.root):
            os.chmod(d, 0o755)
            for name in files:
                os.chmod(os.path.join(d, name), 0o644)
        conf = os.path.join(self.root, "httpd.conf")
        with open(conf, "w") as f:
            f.write(HTTPD_CONF.format(mods=MODULES, root=self.root, port=self.port,
                                      ldap=directory.uri, suffix=SUFFIX,
                                      pw=directory.secrets["UM_APP_PW"], group=GROUP))
        os.chmod(conf, 0o600)  # it holds the application's bind password
        r = subprocess.run(["/usr/sbin/apache2", "-f", conf, "-k", "start"], capture_output=True,
                           text=True, env=dict(os.environ, APACHE_LOG_DIR=self.root))
        assert r.returncode == 0, r.stderr
        self.conf = conf
        for _ in range(100):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/" % self.port, timeout=1)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.05)

    def status(self, user=None, password=None, path="/emasspost/creation/"):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path))
        if user is not None:
            cred = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
            req.add_header("Authorization", "Basic " + cred)
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status
        except urllib.error.HTTPError as e:
            return e.code

    def stop(self):
        subprocess.run(["/usr/sbin/apache2", "-f", self.conf, "-k", "stop"], capture_output=True)
        for _ in range(50):
            if not os.path.exists(os.path.join(self.root, "httpd.pid")):
                break
            time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def httpd(directory):
    h = Httpd(directory)
    yield h
    h.stop()


# ---- ProFTPD (manual §2.2.4 "FTP Access") ------------------------------------------

FTP_GROUP = "cn=ftp,ou=groups," + SUFFIX

# Loopback only, on a free port, its files in a scratch directory. Started as
# root (as the tests are), it serves as an unprivileged user; started by
# anyone else, as that user. Who may log in is the directory's business:
# the service identity finds the user among active holders of the FTP
# group (provisiond's projection of umManage ftp, rights.yaml), then the
# user's own bind decides (LDAPAuthBinds), which the delegate overlay
# refuses to deactivated users and to temporary passwords (DESIGN rule 5).
# uidNumber, gidNumber and homeDirectory are not in the portal's schema:
# every user maps to one system account and a home generated under the
# scratch directory, chrooted (DefaultRoot ~).
PROFTPD_CONF = """
ServerName "portal-um FTP"
ServerType standalone
DefaultServer on
Port {port}
DefaultAddress 127.0.0.1
SocketBindTight on
UseIPv6 off
UseReverseDNS off
PassivePorts {pasv_lo} {pasv_hi}
MaxInstances 30
User {user}
Group {group}
Umask 022
PidFile "{root}/proftpd.pid"
ScoreboardFile "{root}/proftpd.scoreboard"
DelayTable "{root}/proftpd.delay"
SystemLog "{root}/proftpd.log"
TransferLog "{root}/xfer.log"
WtmpLog off
RequireValidShell off
DefaultRoot ~
CreateHome on 0700 dirmode 0755
AllowOverwrite on
<IfModule mod_delay.c>
  DelayEngine off
</IfModule>
<IfModule mod_ident.c>
  IdentLookups off
</IfModule>

ModulePath /usr/lib/proftpd
LoadModule mod_ldap.c
AuthOrder mod_ldap.c
LDAPServer ldap://127.0.0.1:{ldap_port}/??sub
LDAPBindDN "cn=ftp,ou=apps,ou=system,{suffix}" "{pw}"
LDAPUsers "ou=organizations,{suffix}" "(&(objectClass=umUser)(uid=%u)(memberOf={group_dn}))"
LDAPAuthBinds on
LDAPDefaultUID {uid}
LDAPDefaultGID {gid}
LDAPForceDefaultUID on
LDAPForceDefaultGID on
LDAPGenerateHomedir on
LDAPGenerateHomedirPrefix "{root}/home"
LDAPLog "{root}/ldap.log"
"""


class Proftpd:
    def __init__(self, directory):
        self.root = tempfile.mkdtemp(prefix="portal-um-ftp-")
        if os.getuid() == 0:
            account = pwd.getpwnam("nobody")
            user, uid = account.pw_name, account.pw_uid
            gid = account.pw_gid
        else:
            user, uid, gid = pwd.getpwuid(os.getuid()).pw_name, os.getuid(), os.getgid()
        group = grp.getgrgid(gid).gr_name
        home = os.path.join(self.root, "home")
        os.makedirs(home)
        os.chmod(self.root, 0o755)
        os.chown(home, uid, gid)
        self.port = free_port()
        pasv = free_port()
        pasv = min(pasv, 65535 - 16)
        conf = os.path.join(self.root, "proftpd.conf")
        with open(conf, "w") as f:
            f.write(PROFTPD_CONF.format(
                port=self.port, pasv_lo=pasv, pasv_hi=pasv + 15, user=user, group=group,
                root=self.root, ldap_port=directory.port, suffix=SUFFIX,
                pw=directory.secrets["UM_FTP_PW"], group_dn=FTP_GROUP, uid=uid, gid=gid))
        os.chmod(conf, 0o600)  # it holds the service identity's password
        self.conf = conf
        self.home = home
        r = subprocess.run(["/usr/sbin/proftpd", "-t", "-c", conf], capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        self.log = open(os.path.join(self.root, "stderr.log"), "w")
        self.proc = subprocess.Popen(["/usr/sbin/proftpd", "--nodaemon", "-c", conf],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            assert self.proc.poll() is None, self.logs()
            probe = ftplib.FTP()
            try:
                probe.connect("127.0.0.1", self.port, timeout=1)
                probe.close()
                break
            except OSError:
                assert time.time() < deadline, "proftpd does not answer:\n" + self.logs()
                time.sleep(0.05)

    def logs(self):
        out = []
        for name in ("stderr.log", "proftpd.log", "ldap.log"):
            try:
                with open(os.path.join(self.root, name)) as f:
                    out.append("== %s\n%s" % (name, f.read()[-4000:]))
            except OSError:
                pass
        return "\n".join(out)

    def login(self, user, password):
        """A logged-in ftplib.FTP, or ftplib.error_perm (530) if refused."""
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", self.port, timeout=10)
        try:
            ftp.login(user, password)
        except BaseException:
            ftp.close()
            raise
        return ftp

    def can_login(self, user, password):
        try:
            self.login(user, password).quit()
            return True
        except ftplib.error_perm:
            return False

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        if os.environ.get("UM_KEEP_FTP_LOGS"):
            print(self.logs())
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def ftpd(directory):
    f = Proftpd(directory)
    yield f
    f.stop()
