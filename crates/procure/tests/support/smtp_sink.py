#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) for tests: accepts every message on 127.0.0.1:PORT and writes
each one to DIR/<n>.eml, with the envelope in DIR/<n>.json. Runs until killed. With REFUSE, the
first REFUSE messages are answered "451 try again later" (a server refusing, then accepting),
each leaving DIR/refused-<n>.json.

Usage: smtp_sink.py PORT DIR [REFUSE]"""
import asyncio, itertools, json, os, sys

from aiosmtpd.controller import Controller

port, folder = int(sys.argv[1]), sys.argv[2]
refuse = int(sys.argv[3]) if len(sys.argv) > 3 else 0
os.makedirs(folder, exist_ok=True)
counter = itertools.count(1)
refusals = itertools.count(1)


class Save:
    async def handle_DATA(self, server, session, envelope):
        global refuse
        if refuse > 0:
            refuse -= 1
            with open(os.path.join(folder, f"refused-{next(refusals)}.json"), "w") as f:
                json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
            return "451 4.3.0 Try again later"
        n = next(counter)
        with open(os.path.join(folder, f"{n}.json"), "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        tmp = os.path.join(folder, f".{n}.eml")
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(folder, f"{n}.eml"))  # appears whole or not at all
        return "250 Message accepted for delivery"


controller = Controller(Save(), hostname="127.0.0.1", port=port)
controller.start()
print(f"listening on 127.0.0.1:{port}", flush=True)
try:
    asyncio.run(asyncio.Event().wait())
finally:
    controller.stop()
