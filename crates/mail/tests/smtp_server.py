"""A real SMTP server for the e-mail tests (sb-mail's and the switchboard mailer's): aiosmtpd
(Debian's python3-aiosmtpd), on a loopback port the kernel picks unless told one, so parallel
tests never race for one.

    smtp_server.py OUT_DIR [--starttls CERT KEY | --tls CERT KEY] [--login USER PASSWORD]
                   [--reject ADDRESS] [--defer ADDRESS] [--port PORT]

Prints "PORT <n>" once it listens; --port makes it listen where a client already points (a
mail server that was down and comes back). Every message it accepts is stored as
OUT_DIR/<n>.eml (the bytes received) and then OUT_DIR/<n>.json (envelope sender and
recipients, the login the client gave, whether the connection was encrypted). --reject
answers 550 to RCPT TO of that address, --defer answers 450. With --login, AUTH is required
and only that user and password pass. Runs until killed.

aiosmtpd's command line (python3 -m aiosmtpd) cannot require a login nor refuse a recipient,
hence this script around its SMTP class.
"""

import argparse
import asyncio
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, out_dir, reject, defer):
        self.out_dir = out_dir
        self.reject = reject
        self.defer = defer
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.reject:
            return "550 5.1.1 <%s>: recipient unknown" % address
        if address == self.defer:
            return "450 4.2.1 <%s>: mailbox busy, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.out_dir, str(self.count))
        with open(base + ".eml", "wb") as eml:
            eml.write(envelope.original_content)
        login = session.login_data.decode() if session.login_data else None
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "login": login,
            "tls": encrypted,
            "helo": session.host_name,
        }
        with open(base + ".json.part", "w") as part:
            json.dump(meta, part)
        os.rename(base + ".json.part", base + ".json")
        return "250 2.0.0 Message accepted"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        accepted = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=accepted, handled=False, auth_data=auth_data)

    return check


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def serve(args):
    handler = Handler(args.out_dir, args.reject, args.defer)
    starttls = tls_context(*args.starttls) if args.starttls else None
    implicit = tls_context(*args.tls) if args.tls else None
    options = {}
    if args.login:
        options["authenticator"] = authenticator(*args.login)
        options["auth_required"] = True
        # Over implicit TLS aiosmtpd does not know the link is encrypted; it is.
        options["auth_require_tls"] = implicit is None

    def protocol():
        return SMTP(
            handler,
            hostname="mail.test",
            tls_context=starttls,
            require_starttls=starttls is not None,
            **options,
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(protocol, "127.0.0.1", args.port, ssl=implicit)
    port = server.sockets[0].getsockname()[1]
    print("PORT %d" % port, flush=True)
    await asyncio.Event().wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--login", nargs=2, metavar=("USER", "PASSWORD"))
    parser.add_argument("--reject", metavar="ADDRESS")
    parser.add_argument("--defer", metavar="ADDRESS")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
