"""README's "Try it" section, replayed (issue 12 part 4): every umctl
session it shows runs as shown, so the README cannot drift from umctl.

The demo comes up as a newcomer's does, through scripts/run.sh (what `make
run` runs after building), in a temp dir and on a free port (UM_RUN,
UM_PORT), so the README's relative paths (run/env, build/umctl,
run/provisiond/maildir) hold. One interactive bash on a pseudo-terminal
then replays the ```console blocks in order:

- `$ command` (a trailing backslash continues it) is typed at the shell;
  a trailing comment "# exit N" is the exit status it must end with, else 0;
- every other line must be printed, in that order, by that command; a line
  the command answers a question on (umctl's prompts end with ": " or
  ") ") is the question, then what the newcomer types, sent when umctl
  asks; "..." stands for lines left out.

The terminal does not echo (stty -echo), so what comes back is only what
the commands print."""
import glob
import os
import re
import shutil
import subprocess
import tempfile
import time

import pexpect
import pytest

from conftest import TOP, free_port

README = os.path.join(TOP, "README.md")
START = "## Try it"
END = "### The same with raw LDAP"
PROMPT = "[rc=%d]@@ "
PROMPT_RE = r"\[rc=(\d+)\]@@ "


def sessions(text=None):
    """[(command, expected exit status, [lines])] from the ```console blocks
    of README's umctl section."""
    if text is None:
        with open(README, encoding="utf-8") as f:
            text = f.read()
    assert START in text and END in text, "README: no %r ... %r section" % (START, END)
    section = text[text.index(START):text.index(END)]
    out = []
    for block in re.findall(r"^```console\n(.*?)^```", section, re.S | re.M):
        cmd = None
        for line in block.splitlines():
            if cmd is not None and cmd[0].endswith("\\"):
                cmd[0] = cmd[0][:-1] + line.lstrip()  # as the shell joins it
                continue
            if line.startswith("$ "):
                cmd = [line[2:], []]
                out.append(cmd)
            elif cmd is not None:
                cmd[1].append(line)
            else:
                raise AssertionError("README: output before any command: %r" % line)
    result = []
    for command, lines in out:
        m = re.search(r"#.*\bexit (\d+)\s*$", command)
        result.append((command, int(m.group(1)) if m else 0, lines))
    return result


def test_sessions_parse():
    """The parser itself, on a made-up section."""
    text = ("## Try it\n```console\n$ umctl a \\\n  b  # refused: exit 1\nx\n...\n"
            "Nom : Dupont\n$ c\n```\n### The same with raw LDAP\n")
    assert sessions(text) == [("umctl a b  # refused: exit 1", 1, ["x", "...", "Nom : Dupont"]),
                              ("c", 0, [])]


@pytest.fixture(scope="module")
def demo():
    """`make run`'s demo, in a temp dir: <tmp>/run and <tmp>/build."""
    tmp = tempfile.mkdtemp(prefix="portal-um-readme-")
    os.symlink(os.path.join(TOP, "build"), os.path.join(tmp, "build"))
    env = dict(os.environ, UM_RUN=os.path.join(tmp, "run"), UM_PORT=str(free_port()),
               UM_WEB_PORT=str(free_port()))
    script = os.path.join(TOP, "scripts", "run.sh")
    p = subprocess.run(["sh", script, "start"], env=env, capture_output=True, text=True)
    try:
        assert p.returncode == 0, p.stdout + p.stderr
        yield tmp
    finally:
        subprocess.run(["sh", script, "stop"], env=env, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def candidates(line):
    """The questions a transcript line may start with: each prefix ending
    in ": " or ") " with an answer after it, longest first ("Langue
    (nl/fr/de/en) : " before "Langue (nl/fr/de/en) ": on a tie, pexpect
    takes the first)."""
    return [line[:m.end()] for m in re.finditer(r"(?:: |\) )", line) if line[m.end():]][::-1]


def test_readme_umctl_sessions(demo):
    home = os.path.join(demo, "home")
    os.mkdir(home)
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "TERM": "dumb"}
    sh = pexpect.spawn("bash", ["--norc", "--noprofile", "--noediting", "-i"], cwd=demo,
                       env=env, encoding="utf-8", timeout=60, dimensions=(50, 400))
    log = []
    sh.sendline("stty -echo; PS2=''; PS1='[rc=$?]@@ '")
    sh.expect(PROMPT_RE)
    try:
        for command, status, lines in sessions():
            log.append("$ " + command)
            if "maildir" in command:  # what a reader waits for: provisiond's delivery
                deadline = time.time() + 60
                while not glob.glob(os.path.join(demo, "run/provisiond/maildir/new/*")) \
                        and time.time() < deadline:
                    time.sleep(0.1)
            sh.sendline(command)
            for line in lines:
                if line == "...":
                    continue
                asks = candidates(line)
                # the shell's prompt back first: the command ended without it
                i = sh.expect([re.escape(line) + "\r\n"] + [re.escape(a) for a in asks] +
                              [PROMPT_RE])
                log.append(sh.before + sh.after)
                if i == len(asks) + 1:
                    raise AssertionError("README: %r did not print %r; it printed:\n%s" % (
                        command, line, sh.before))
                if i > 0:  # a question: type the answer
                    sh.sendline(line[len(asks[i - 1]):])
            sh.expect(PROMPT_RE)
            log.append(sh.before)
            rc = int(sh.match.group(1))
            assert rc == status, "README: %r ended with %d, not %d:\n%s" % (
                command, rc, status, sh.before)
    except pexpect.TIMEOUT:
        raise AssertionError("README: %r did not print %r; it printed:\n%s" % (
            command, line, sh.before))
    finally:
        if os.environ.get("UM_README_RECORD"):  # what the commands printed, for README
            with open(os.environ["UM_README_RECORD"], "w") as f:
                f.write("\n".join(log).replace("\r\n", "\n"))
        sh.close(force=True)
