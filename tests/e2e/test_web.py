"""The administrators' web console in a real browser (issue 8): LDAP Account
Manager with portal-um's modules (web/lam), served by Apache on a free
loopback port by scripts/web.sh exactly as `make run` serves it, against
the same slapd + provisiond as the integration suite, driven by headless
Chromium through Selenium.

PRINTSCREENS logs in with his username, sees his users and who created
them, creates a user, gives her e-MassPost rights by their French labels
(the catalogue in the directory), deactivates and reactivates her. ARNAUD
then tries to give "Validation + prix", which he does not hold: the page
shows the overlay's own French sentence and the directory is unchanged.

Screenshots of every step go to $UM_E2E_OUTPUT (default build/e2e/web/).
"""
import os
import subprocess
import urllib.parse

import ldap
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, WebDriverException
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import SUFFIX, free_port

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.environ.get("UM_E2E_OUTPUT", os.path.join(TOP, "build", "e2e", "web"))
ORG = "o=bpost-contract-team,ou=organizations," + SUFFIX
ADMIN_PW = "Demo-Admin-1"  # TEST-ONLY, ldif/demo.ldif
USER_PW = "Demo-User-1"  # TEST-ONLY


def user_dn(uid):
    return "uid=%s,ou=users,%s" % (uid, ORG)


class Web:
    def __init__(self, directory):
        self.dir = directory.path
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        r = subprocess.run(["sh", os.path.join(TOP, "scripts", "web.sh"), "start", self.dir,
                            str(directory.port), str(self.port)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr

    def stop(self):
        subprocess.run(["sh", os.path.join(TOP, "scripts", "web.sh"), "stop", self.dir],
                       capture_output=True)


@pytest.fixture(scope="module")
def web(directory):
    w = Web(directory)
    yield w
    w.stop()


@pytest.fixture(scope="module")
def browser():
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              "--window-size=1280,1100", "--lang=fr-FR"):
        opts.add_argument(a)
    service = ChromeService(executable_path="/usr/bin/chromedriver")  # Debian's chromium-driver
    d = webdriver.Chrome(options=opts, service=service)
    d.implicitly_wait(5)
    os.makedirs(OUT, exist_ok=True)
    yield d
    d.quit()


def shot(browser, name):
    """A screenshot of the whole page (the window grown to its height)."""
    h = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, max(700, min(h + 40, 6000)))
    path = os.path.join(OUT, name + ".png")
    browser.save_screenshot(path)
    browser.set_window_size(1280, 1100)
    return path


def doc_shot(browser, name, height):
    """A small screenshot of the top of the page, for the README (doc/)."""
    browser.set_window_size(1024, height)
    browser.execute_script("window.scrollTo(0, 0)")
    path = os.path.join(OUT, name + ".png")
    browser.save_screenshot(path)
    browser.set_window_size(1280, 1100)
    return path


def login(browser, web, uid, pw):
    browser.delete_all_cookies()
    browser.get(web.url + "/templates/login.php")
    browser.find_element(By.NAME, "username").send_keys(uid)
    browser.find_element(By.NAME, "passwd").send_keys(pw)
    browser.find_element(By.NAME, "checklogin").click()
    WebDriverWait(browser, 15).until(lambda d: "lists/list.php" in d.current_url,
                                     "no list after login: %s" % browser.current_url)
    browser.find_element(By.ID, "btn_new")


def open_user(browser, web, uid):
    browser.get(web.url + "/templates/account/edit.php?type=portalUser&DN='%s'"
                % urllib.parse.quote(user_dn(uid), safe=""))
    assert browser.find_element(By.NAME, "accountContainerSaveAccount")


def rights_tab(browser):
    tab = browser.find_element(By.NAME, "form_main_umRights")
    tab.click()
    WebDriverWait(browser, 15).until(gone(tab))
    browser.find_element(By.XPATH, "//label[starts-with(@for,'umRight_')]")


def tick(browser, app, label):
    """The checkbox of an application's value, found by its label (the
    catalogue's description;lang-fr), never by its id."""
    prefix = "umRight_" + ("%s|" % app).encode().hex()
    for lab in browser.find_elements(By.XPATH, "//label[normalize-space()=%s]" % xpath_str(label)):
        target = lab.get_attribute("for") or ""
        if target.startswith(prefix):
            box = browser.find_element(By.ID, target)
            if not box.is_selected():
                box.click()
            return
    raise NoSuchElementException("no checkbox labelled %r for %s" % (label, app))


def xpath_str(s):
    return "'%s'" % s if "'" not in s else 'concat("%s")' % s.replace('"', '", \'"\', "')


def save(browser):
    button = browser.find_element(By.NAME, "accountContainerSaveAccount")
    button.click()
    WebDriverWait(browser, 15).until(gone(button))
    WebDriverWait(browser, 15).until(
        lambda d: d.execute_script("return document.readyState") == "complete")


def gone(element):
    """The page that held element was replaced. Chromium's driver may say
    so with a stale reference or with "Node ... does not belong to the
    document": both mean gone."""
    def check(_):
        try:
            element.is_enabled()
            return False
        except WebDriverException:
            return True
    return check


def table_rows(browser):
    """LAM's list, username -> [name, created by, status], read in one go
    (a script, so that no row goes stale while it is read)."""
    WebDriverWait(browser, 15).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
    cells = browser.execute_script(
        "return Array.from(document.querySelectorAll('table.accountlist tr'))"
        ".map(tr => Array.from(tr.querySelectorAll('td')).map(td => td.innerText.trim()))")
    return {c[1]: c[2:] for c in cells if len(c) >= 5 and c[1]}


def read(conn, dn, attrs):
    try:
        res = conn.search_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", attrs)
    except ldap.NO_SUCH_OBJECT:
        return None
    return {k: sorted(v.decode() for v in vs) for k, vs in res[0][1].items()}


def test_login_by_username_lists_my_users_with_their_creators(web, browser):
    login(browser, web, "PRINTSCREENS", ADMIN_PW)
    rows = table_rows(browser)
    shot(browser, "01-mes-utilisateurs")
    doc_shot(browser, "doc-web-users", 640)
    # manual §2.2.2: username, name, created by, status
    assert rows["ARNAUD"] == ["ARNAUD HENNEKINNE", "PRINTSCREENS", "Actif"]
    assert rows["Fabrice"][1] == "PRINTSCREENS"
    assert set(rows) == {"PRINTSCREENS", "ARNAUD", "Fabrice", "Antoine"}


def test_served_on_loopback_only(web):
    with open(os.path.join(web.dir, "web", "httpd.conf")) as f:
        listen = [line.split() for line in f if line.startswith("Listen")]
    assert listen == [["Listen", "127.0.0.1:%d" % web.port]]


def test_wrong_password_is_refused(web, browser):
    browser.delete_all_cookies()
    browser.get(web.url + "/templates/login.php")
    browser.find_element(By.NAME, "username").send_keys("PRINTSCREENS")
    browser.find_element(By.NAME, "passwd").send_keys("Not-His-1")
    browser.find_element(By.NAME, "checklogin").click()
    assert "login.php" in browser.current_url
    assert browser.find_elements(By.NAME, "passwd")
    shot(browser, "02-login-refused")


def test_create_a_user(web, browser, root):
    login(browser, web, "PRINTSCREENS", ADMIN_PW)
    browser.find_element(By.ID, "btn_new").click()
    f = browser.find_element
    f(By.NAME, "uid").send_keys("MARIE")
    f(By.NAME, "portalum_password").send_keys("Temporaire1")
    f(By.NAME, "portalum_password2").send_keys("Temporaire1")
    Select(f(By.NAME, "umGender")).select_by_visible_text("Femme")
    f(By.NAME, "givenName").send_keys("Marie")
    f(By.NAME, "sn").send_keys("Dupont")
    f(By.NAME, "mail").send_keys("marie.dupont@example.com")
    Select(f(By.NAME, "preferredLanguage")).select_by_visible_text("FR")
    # §2.2.4: the management rights as the catalogue labels them
    labels = [e.text for e in browser.find_elements(By.XPATH, "//label[starts-with(@for,'umManage_')]")]
    assert "Autorisations pour créer et gérer des utilisateurs" in labels
    assert "FTP Access (La première fois logon via le portail est nécessaire)" in labels
    shot(browser, "03-creer-utilisateur")
    save(browser)
    shot(browser, "04-utilisateur-cree")
    e = read(root, user_dn("MARIE"), ["*", "creatorsName", "pwdReset"])
    assert e is not None, browser.find_element(By.TAG_NAME, "body").text
    assert e["objectClass"] == ["inetOrgPerson", "umUser"]
    assert e["cn"] == ["Marie Dupont"] and e["umGender"] == ["female"]
    assert e["umStatus"] == ["active"] and e["preferredLanguage"] == ["fr"]
    assert e["creatorsName"] == [user_dn("PRINTSCREENS")]
    # set by an administrator: temporary (ppolicy pwdMustChange, §3.2)
    assert e["pwdReset"] == ["TRUE"]


def test_give_emasspost_rights_by_label(web, browser, root):
    login(browser, web, "PRINTSCREENS", ADMIN_PW)
    open_user(browser, web, "MARIE")
    rights_tab(browser)
    body = browser.find_element(By.TAG_NAME, "body").text
    # the manual's checkboxes, in French, from ou=applications
    for label in ("Produits", "Adresses de facturation", "Accès", "Lettre", "Validation + prix"):
        assert label in body
    tick(browser, "emasspost", "Lettre")
    tick(browser, "emasspost", "Périodique")
    tick(browser, "emasspost", "BA-1001 – BPOST - SALESADMIN - MUNTCENTRUM 1, 1000 BRUSSEL")
    tick(browser, "emasspost", "Création")
    shot(browser, "05-autorisations-emasspost")
    save(browser)
    shot(browser, "06-autorisations-enregistrees")
    g = read(root, "cn=emasspost@bpost-contract-team," + user_dn("MARIE"), ["umRight", "umScope"])
    assert g is not None, browser.find_element(By.TAG_NAME, "body").text
    assert g["umRight"] == ["billing:BA-1001", "product:letter", "product:periodical",
                            "role:creation"]
    assert g["umScope"] == ["bpost-contract-team"]


def test_deactivate_and_reactivate(web, browser, root):
    login(browser, web, "PRINTSCREENS", ADMIN_PW)
    open_user(browser, web, "MARIE")
    Select(browser.find_element(By.NAME, "umStatus")).select_by_visible_text("Désactivé")
    save(browser)
    assert read(root, user_dn("MARIE"), ["umStatus"])["umStatus"] == ["deactivated"]
    browser.get(web.url + "/templates/lists/list.php?type=portalUser")
    assert table_rows(browser)["MARIE"] == ["Marie Dupont", "PRINTSCREENS", "Désactivé"]
    shot(browser, "07-desactive")
    # deactivation keeps every right (§3.1)
    g = read(root, "cn=emasspost@bpost-contract-team," + user_dn("MARIE"), ["umRight"])
    assert "role:creation" in g["umRight"]
    open_user(browser, web, "MARIE")
    Select(browser.find_element(By.NAME, "umStatus")).select_by_visible_text("Actif")
    save(browser)
    assert read(root, user_dn("MARIE"), ["umStatus"])["umStatus"] == ["active"]


def test_arnaud_cannot_give_validation_price(web, browser, directory, root):
    """ARNAUD manages users but does not hold "Validation + prix" (rule 3):
    the overlay refuses, the page says so in his language, nothing changes."""
    grant = "cn=emasspost@bpost-contract-team," + user_dn("MARIE")
    # the server's sentence for this very write, asked directly
    arnaud = directory.bind(user_dn("ARNAUD"), USER_PW)
    with pytest.raises(ldap.INSUFFICIENT_ACCESS) as refused:
        arnaud.modify_s(grant, [(ldap.MOD_ADD, "umRight", [b"role:validation-price"])])
    arnaud.unbind_s()
    sentence = refused.value.args[0]["info"]
    if isinstance(sentence, bytes):
        sentence = sentence.decode()
    assert "Validation + prix" in sentence or "validation-price" in sentence, sentence

    before = directory.snapshot()
    login(browser, web, "ARNAUD", USER_PW)
    open_user(browser, web, "MARIE")
    rights_tab(browser)
    tick(browser, "emasspost", "Validation + prix")
    save(browser)
    body = browser.find_element(By.TAG_NAME, "body").text
    path = shot(browser, "08-refus-arnaud")
    doc_shot(browser, "doc-web-refusal", 520)
    assert sentence in body, "%s\nnot on the page (%s):\n%s" % (sentence, path, body)
    assert "Autorisations pour e-MassPost non enregistrées" in body
    assert directory.snapshot() == before
    g = read(root, grant, ["umRight"])
    assert "role:validation-price" not in g["umRight"]
