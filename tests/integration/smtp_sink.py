"""A real SMTP server on loopback for the mail tests (Debian's
python3-aiosmtpd): provisiond sends the recovery mails (manual §3.3) to it
through libcurl, and tests read what arrived."""
import email
import email.policy
import threading
import time

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                  "subject": str(msg["subject"]),
                                  "body": msg.get_content(), "raw": envelope.content})
        return "250 OK"


class SmtpSink:
    def __init__(self, port):
        self.handler = _Handler()
        self.port = port
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port)
        self.controller.start()
        self.url = "smtp://127.0.0.1:%d" % port

    def stop(self):
        self.controller.stop()

    def messages(self, to):
        with self.handler.lock:
            return [m for m in self.handler.messages if to.lower() in
                    [r.lower() for r in m["to"]]]

    def wait(self, to, count=1, timeout=60.0, settle=0.0):
        """The mails to `to` once at least `count` arrived (and, with
        settle, once no more came for that long). timeout only gives up on
        mails that never come: generous, since a slow machine is no failure."""
        deadline = time.time() + timeout
        while time.time() < deadline and len(self.messages(to)) < count:
            time.sleep(0.05)
        if settle:
            seen = len(self.messages(to))
            while time.time() < deadline:
                time.sleep(settle)
                now = len(self.messages(to))
                if now == seen:
                    break
                seen = now
        return self.messages(to)
