#!/usr/bin/python3
"""SMTP sink for dcmon tests (aiosmtpd): records every accepted message with its
envelope to DIR/msg-*.json, can refuse on command and supports STARTTLS or SMTPS
(TLS on connect, --smtps) + AUTH.

  smtp_sink.py --port P --dir DIR [--tls-cert C --tls-key K [--smtps]] [--auth USER:PASS
               [--auth-clear]] [--hang]

Every command the server receives is appended to DIR/commands.jsonl as {"verb", "tls"}
(and "mechanism" for AUTH; never the credentials).
--auth-clear: AUTH is offered and accepted without TLS (a relay that allows it in clear).

Control file DIR/control, read at every RCPT (one directive per line):
  tempfail        every recipient gets 451 (temporary)
  reject ADDR     that recipient gets 550 (permanent)
--hang: accept TCP connections and never say anything (a hung server).
"""
import argparse, json, os, signal, socket, ssl, sys, threading, time


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--auth")
    p.add_argument("--auth-clear", action="store_true", help="offer AUTH without TLS")
    p.add_argument("--smtps", action="store_true", help="TLS from the first byte")
    p.add_argument("--hang", action="store_true")
    return p.parse_args()


def control(d):
    try:
        with open(os.path.join(d, "control")) as f:
            return [l.split() for l in f if l.strip()]
    except OSError:
        return []


def tls_version(server, session):
    """The session's TLS version ("TLSv1.2"), None in clear (STARTTLS: aiosmtpd keeps
    the TLS transport's extra info in session.ssl)."""
    objs = [server.transport.get_extra_info("ssl_object")]
    if isinstance(session.ssl, dict):
        objs.append(session.ssl.get("ssl_object"))
    tls = getattr(server, "_tls_protocol", None)
    if tls is not None and hasattr(tls, "_extra"):
        objs.append(tls._extra.get("ssl_object"))
    for o in objs:
        if o is not None:
            return o.version()
    return None


class Handler:
    def __init__(self, d):
        self.dir = d
        self.seq = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        for words in control(self.dir):
            if words[0] == "tempfail":
                return "451 4.3.0 try again later"
            if words[0] == "reject" and len(words) > 1 and words[1].lower() == address.lower():
                return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        with self.lock:
            self.seq += 1
            seq = self.seq
        sslobj = server.transport.get_extra_info("ssl_object")
        rec = {"ts": now, "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
               "tls": session.ssl is not None or sslobj is not None,
               "sni": getattr(sslobj, "dcmon_sni", None),
               "tls_version": tls_version(server, session),
               "auth": session.authenticated if hasattr(session, "authenticated") else None,
               "data": envelope.content.decode("utf-8", "replace")}
        path = os.path.join(self.dir, "msg-%d-%06d.json" % (os.getpid(), seq))
        with open(path + ".tmp", "w") as f:
            json.dump(rec, f)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 accepted"


def recording_smtp(base, d):
    """The aiosmtpd server class, recording each command it dispatches to DIR/commands.jsonl."""
    class RecordingSMTP(base):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            for verb, fn in list(self._smtp_methods.items()):
                self._smtp_methods[verb] = self._recorded(verb, fn)

        def _recorded(self, verb, fn):
            async def call(arg):
                rec = {"verb": verb, "tls": self._tls_protocol is not None
                       or self.transport.get_extra_info("ssl_object") is not None}
                if verb == "AUTH" and arg:
                    rec["mechanism"] = arg.split()[0].upper()
                with open(os.path.join(d, "commands.jsonl"), "a") as f:
                    f.write(json.dumps(rec) + "\n")
                return await fn(arg)
            return call
    return RecordingSMTP


def hang(port, d):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    open(os.path.join(d, "ready"), "w").close()
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)  # never answered, never closed


def main():
    a = parse()
    os.makedirs(a.dir, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if a.hang:
        hang(a.port, a.dir)
        return
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, AuthResult
    kw = {}
    if a.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        if a.smtps:
            def sni(sslobj, name, _ctx):  # the name the client asked for, per connection
                sslobj.dcmon_sni = name
            ctx.sni_callback = sni
            kw.update(ssl_context=ctx)
        else:
            kw.update(tls_context=ctx, require_starttls=True)
    if a.auth:
        user, pw = a.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (auth_data.login.decode() == user and auth_data.password.decode() == pw)
            return AuthResult(success=ok)
        # aiosmtpd 1.4 counts only STARTTLS as TLS; with --smtps the socket is TLS anyway
        kw.update(authenticator=authenticator, auth_required=True,
                  auth_require_tls=not (a.smtps or a.auth_clear))
    server_class = recording_smtp(SMTP, a.dir)

    class RecordingController(Controller):
        def factory(self):
            return server_class(self.handler, **self.SMTP_kwargs)
    c = RecordingController(Handler(a.dir), hostname="127.0.0.1", port=a.port,
                            ready_timeout=10, **kw)
    c.start()
    open(os.path.join(a.dir, "ready"), "w").close()
    try:
        signal.pause()
    finally:
        c.stop()


if __name__ == "__main__":
    main()
