"""Honest CI: a skipped test is a failed test unless tests/allowed-skips.txt
lists it with a reason.

Used by tests/integration/conftest.py and tests/e2e/conftest.py, which
import these hooks. A test that skips (pytest.skip, a skip or skipif mark,
a fixture that skips) is reported as failed, so the run fails and the
summary line counts it ("1 failed" for a skip in the test, "1 error" for a
skip in a fixture's setup), with the skip's own reason in the report. A
whole module skipped at collection fails the session at its end. Expected
failures (xfail) are not skips and are left alone.

tests/allowed-skips.txt: one test a line, `<nodeid>  # reason`, the nodeid
relative to tests/ (`integration/test_x.py::test_y`, `e2e/test_z.py::test_w[p]`)
so that it means the same whichever directory pytest runs from; blank lines
and lines starting with # are comments. An entry without a reason is an
error.
"""
import os
import re

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
ALLOWED_FILE = os.path.join(TESTS, "allowed-skips.txt")
_LINE = re.compile(r"^(\S(?:.*?\S)?)\s+#\s*(.*?)\s*$")

_allowed = {}       # nodeid -> reason
_refused = []       # (nodeid, skip reason): skips turned into failures
_granted = []       # (nodeid, reason from allowed-skips.txt)
_module_skips = []  # (nodeid, skip reason): collection skips not listed
_root = []          # the session's rootdir


def load_allowed(path=ALLOWED_FILE):
    """{nodeid: reason} from the file; raises ValueError on a bad line."""
    allowed = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            m = _LINE.match(text)
            if not m or not m.group(2):
                raise ValueError("%s:%d: expected `<nodeid>  # reason`, got %r"
                                 % (path, n, text))
            if m.group(1) in allowed:
                raise ValueError("%s:%d: %s is listed twice" % (path, n, m.group(1)))
            allowed[m.group(1)] = m.group(2)
    return allowed


def node_key(rootpath, nodeid):
    """pytest's nodeid (its path relative to the rootdir) made relative to
    tests/: the file's path from there, then the rest (class, function,
    parameters)."""
    path, sep, rest = nodeid.partition("::")
    rel = os.path.relpath(os.path.normpath(os.path.join(str(rootpath), path)), TESTS)
    return rel.replace(os.sep, "/") + sep + rest


def _skip_reason(report):
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def pytest_configure(config):
    _root[:] = [config.rootpath]
    try:
        _allowed.update(load_allowed())
    except (OSError, ValueError) as e:
        raise pytest.UsageError("allowed skips: %s" % e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    key = node_key(_root[0], item.nodeid)
    reason = _skip_reason(report)
    if key in _allowed:
        _granted.append((key, _allowed[key]))
        return
    _refused.append((key, reason))
    report.outcome = "failed"
    report.longrepr = ("skipped (%s), and a skip fails the run unless %s lists\n"
                       "`%s  # <why>`" % (reason, os.path.relpath(ALLOWED_FILE), key))


def pytest_collectreport(report):
    if not report.skipped:
        return
    key = node_key(_root[0], report.nodeid)
    if key in _allowed:
        _granted.append((key, _allowed[key]))
    else:
        _module_skips.append((key, _skip_reason(report)))


def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    if _granted:
        tr.write_sep("-", "skips allowed by %s" % os.path.relpath(ALLOWED_FILE))
        for key, reason in _granted:
            tr.write_line("%s  # %s" % (key, reason))
    if _refused or _module_skips:
        tr.write_sep("-", "skips not listed in %s: failures" % os.path.relpath(ALLOWED_FILE))
        for key, reason in _refused + _module_skips:
            tr.write_line("%s: %s" % (key, reason))


def pytest_sessionfinish(session, exitstatus):
    # skips of single tests are already failures; whole modules skipped at
    # collection are turned into one here
    if _module_skips and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
