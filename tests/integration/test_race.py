"""Two administrators racing (rule 3 under concurrency): whatever the
interleaving, the outcome is one a serial order of the two writes gives,
and no one ever gives or takes a right it does not hold at that moment.
Each writer has its own connection in its own thread; slapd runs the two
operations on two of its threads.

Bounded by rounds, never by seconds: a slow machine runs the same rounds
more slowly and must reach the same verdict. The clock only orders events
(a write answered before the other was sent). A write that never returns
(a leaked lock) is told from a slow one by the connection's operation
timeout (30 s, conftest.py) and, should that not fire, by HANG: both far
beyond any write's time."""
import random
import threading
import time

import ldap
import pytest

from helpers import bind, delete_tree, grant_dn, make_org, make_user, org_dn, rights

ROUNDS = 200  # rounds every race runs...
MAX_ROUNDS = 1000  # ...and more, up to this, until both serial orders were seen
HANG = 300  # seconds: a write still unanswered is stuck, not slow
X = "role:validation-price"
S = ["billing:BA-1", "product:letter", "role:creation"]
PRIOR = "product:prior"


@pytest.fixture(scope="module")
def race(directory):
    root = directory.root()
    org = make_org(root, billing=["BA-1"], prefix="race")
    # A holds X and manages users; B is an admins-admin holding X; B2 is an
    # admins-admin holding product:prior but not X
    a = make_user(root, org, "a", manage=["users"], grants={"emasspost": S + [X]})
    b = make_user(root, org, "b", manage=["admins", "users"], grants={"emasspost": S + [X]})
    b2 = make_user(root, org, "b2", manage=["admins", "users"],
                   grants={"emasspost": S + [PRIOR]})
    t = make_user(root, org, "t", grants={"emasspost": S})
    conns = {name: bind(directory, dn) for name, dn in (("a", a), ("b", b), ("b2", b2))}
    yield {"root": root, "org": org, "a": a, "t": t, "a_grant": grant_dn(a, "emasspost", org),
           "t_grant": grant_dn(t, "emasspost", org), **{"conn_" + k: c for k, c in conns.items()}}
    for c in conns.values():
        c.unbind_s()
    delete_tree(root, org_dn(org))
    root.unbind_s()


class Timed:
    """One write from its own thread: its result (OK or the LDAP error
    class) and when the request left and the answer came back."""

    def __init__(self, conn, dn, mods, barrier, delay):
        self.result = None
        self.sent = self.done = None
        self.thread = threading.Thread(target=self.run, args=(conn, dn, mods, barrier, delay))

    def run(self, conn, dn, mods, barrier, delay):
        barrier.wait()
        time.sleep(delay)
        self.sent = time.monotonic()
        try:
            conn.modify_s(dn, mods)
            self.result = "ok"
        except ldap.LDAPError as e:
            self.result = type(e).__name__
        self.done = time.monotonic()


JITTER = random.Random(20240102)  # seeded: the same delays on every run


def run_pair(first, second):
    """Both writes released together, one of them a little later (up to
    3 ms, either one: about one write's time), so that both orders and
    overlaps happen."""
    barrier = threading.Barrier(2)
    delays = [0.0, JITTER.uniform(0, 0.003)]
    JITTER.shuffle(delays)
    ops = [Timed(*first, barrier, delays[0]), Timed(*second, barrier, delays[1])]
    for op in ops:
        op.thread.start()
    for op in ops:
        op.thread.join(HANG)
        assert not op.thread.is_alive(), "a write hung: the overlay's lock leaked"
    return ops


def rounds(seen):
    """Round numbers: ROUNDS of them, then more until every serial order
    was seen (the test proves something only if they all happened), at most
    MAX_ROUNDS."""
    n = 0
    while n < ROUNDS or (not all(seen.values()) and n < MAX_ROUNDS):
        yield n
        n += 1


def reset(r, a_values, t_values):
    for dn, vals in ((r["a_grant"], a_values), (r["t_grant"], t_values)):
        r["root"].modify_s(dn, [(ldap.MOD_REPLACE, "umRight", [v.encode() for v in sorted(vals)])])


def enc(*vals):
    return [v.encode() for v in vals]


def test_grant_while_the_giver_loses_the_right(race):
    """A gives X to T while B takes X from A. Serial orders:
    A then B: A's write succeeds, T holds X, A no longer;
    B then A: A's write is refused (50), neither holds X."""
    r = race
    serial = {
        "A,B": ("ok", "ok", sorted(S + [X]), sorted(S)),
        "B,A": ("INSUFFICIENT_ACCESS", "ok", sorted(S), sorted(S)),
    }
    seen = {k: 0 for k in serial}
    for n in rounds(seen):
        reset(r, S + [X], S)
        give, revoke = run_pair((r["conn_a"], r["t_grant"], [(ldap.MOD_ADD, "umRight", enc(X))]),
                                (r["conn_b"], r["a_grant"], [(ldap.MOD_DELETE, "umRight", enc(X))]))
        state = (give.result, revoke.result, rights(r["root"], r["t_grant"]),
                 rights(r["root"], r["a_grant"]))
        order = [k for k, v in serial.items() if v == state]
        assert order, "round %d: %r is no serial outcome of %r" % (n, state, serial)
        # "at that time": A gave X although B had taken it before A even asked
        if give.result == "ok":
            assert not revoke.done < give.sent, \
                "round %d: T got X from A after A had lost it" % n
        else:
            assert not give.done < revoke.sent, \
                "round %d: A was refused X while it still held it" % n
        seen[order[0]] += 1
    # the test proves something only if both orders really happened
    assert all(seen.values()), "only one order in %d rounds: %r" % (n + 1, seen)


def test_add_and_replace_of_the_same_grant(race):
    """A adds X to T's grant while B2, who does not hold X, replaces T's
    values with S + prior (a set without X). Serial orders:
    A then B2: B2's replace would remove X, which it does not hold: 50;
    B2 then A: T holds S + prior + X.
    Never: T left with S + prior, X silently removed by B2."""
    r = race
    serial = {
        "A,B2": ("ok", "INSUFFICIENT_ACCESS", sorted(S + [X])),
        "B2,A": ("ok", "ok", sorted(S + [PRIOR, X])),
    }
    seen = {k: 0 for k in serial}
    for n in rounds(seen):
        reset(r, S + [X], S)
        add, replace = run_pair(
            (r["conn_a"], r["t_grant"], [(ldap.MOD_ADD, "umRight", enc(X))]),
            (r["conn_b2"], r["t_grant"], [(ldap.MOD_REPLACE, "umRight", enc(*S, PRIOR))]))
        state = (add.result, replace.result, rights(r["root"], r["t_grant"]))
        order = [k for k, v in serial.items() if v == state]
        assert order, "round %d: %r is no serial outcome of %r" % (n, state, serial)
        if replace.result == "ok":
            # B2 removed nothing it does not hold: its replace ran first
            assert not add.done < replace.sent, \
                "round %d: B2's replace succeeded after X was added" % n
        seen[order[0]] += 1
        # A's grant is never touched by either write
        assert rights(r["root"], r["a_grant"]) == sorted(S + [X])
    # the test proves something only if both orders really happened
    assert all(seen.values()), "only one order in %d rounds: %r" % (n + 1, seen)
