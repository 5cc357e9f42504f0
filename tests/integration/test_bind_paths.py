"""Rule 5 has two implementations: the dynamic ACL clause
"by dynacl/delegate-bind" (no extra entry fetch per bind, the configuration
`make run` uses) and, for a slapd.conf without that clause, the overlay's own
check before the backend. Both must refuse the same binds the same way."""
import os
import shutil
import tempfile

import ldap
import pytest

from conftest import free_port, start_instance, stop_instance
from helpers import USER_PW, bind, diagnostic, make_org, make_user


@pytest.fixture(scope="module", params=["dynacl", "fetch"])
def any_directory(request, directory):
    if request.param == "dynacl":
        yield directory
        return
    tmp = tempfile.mkdtemp(prefix="portal-um-bindpath-")
    d = start_instance(tmp, free_port(), {"UM_NO_BIND_ACL": "1"})
    assert "dynacl/delegate-bind" not in open(os.path.join(tmp, "slapd.conf")).read()
    yield d
    stop_instance(tmp)
    shutil.rmtree(tmp, ignore_errors=True)


def test_deactivated_and_temporary_binds(any_directory):
    d = any_directory
    root = d.root()
    org = make_org(root)
    off = make_user(root, org, "off", status="deactivated", lang="fr")
    tmp = make_user(root, org, "tmp", temporary=True, lang="nl")
    ok = make_user(root, org, "ok")
    with pytest.raises(ldap.INVALID_CREDENTIALS) as exc:
        bind(d, off)
    assert "est désactivé" in diagnostic(exc.value)
    with pytest.raises(ldap.INVALID_CREDENTIALS) as exc:
        bind(d, off, "Wrong-Pass-1")
    assert diagnostic(exc.value) == ""  # no hint without the password
    with pytest.raises(ldap.INVALID_CREDENTIALS) as exc:
        bind(d, tmp)
    assert "is tijdelijk" in diagnostic(exc.value)
    bind(d, tmp, ppolicy=True)  # to change it
    bind(d, ok)
