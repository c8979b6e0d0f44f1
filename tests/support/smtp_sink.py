#!/usr/bin/python3
"""A real SMTP server for the tests (Debian's python3-aiosmtpd) on 127.0.0.1.

Every message it accepts is written to DIR as one JSON file (NNNNNN.json:
mail_from, rcpt_tos, data), complete before it appears (written aside, then
renamed), so a test reads what the server received, never half of it.

  smtp_sink.py --port PORT --dir DIR [--tls-cert F --tls-key F [--require-tls]]
               [--auth USER:PASSWORD] [--refuse-rcpt SUBSTRING] [--defer N]

--defer N answers the first N messages' DATA with 451 (try again later);
--refuse-rcpt refuses recipients containing SUBSTRING with 550. Prints
"ready" once it listens; runs until SIGTERM.
"""

import argparse
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, refuse_rcpt, defer):
        self.directory = directory
        self.refuse_rcpt = refuse_rcpt
        self.defer = defer
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt and self.refuse_rcpt in address:
            return "550 5.1.1 <%s>: no such mailbox here" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.defer > 0:
                self.defer -= 1
                return "451 4.3.0 the test server defers this message"
            self.count += 1
            n = self.count
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data": envelope.content.decode("utf-8", "replace"),
            "tls": session.ssl is not None,
            "login": session.auth_data if isinstance(session.auth_data, str) else None,
        }
        path = os.path.join(self.directory, "%06d.json" % n)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 accepted as message %d" % n


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and \
                auth_data.login.decode() == user and auth_data.password.decode() == password:
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)
    return check


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--require-tls", action="store_true")
    p.add_argument("--auth")
    p.add_argument("--refuse-rcpt")
    p.add_argument("--defer", type=int, default=0)
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    kwargs = {"decode_data": False}
    if a.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.tls_cert, a.tls_key)
        kwargs["tls_context"] = context
        kwargs["require_starttls"] = a.require_tls
    if a.auth:
        user, password = a.auth.split(":", 1)
        kwargs["authenticator"] = authenticator(user, password)
        kwargs["auth_required"] = True
        kwargs["auth_require_tls"] = bool(a.tls_cert)
    controller = Controller(Sink(a.dir, a.refuse_rcpt, a.defer), hostname="127.0.0.1",
                            port=a.port, **kwargs)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
