"""Run `qa` with every network connection and name lookup that leaves this machine written to a file.

    python tests/offline_serve.py LOG qa-arguments...

A Python audit hook sees each socket.connect and socket.getaddrinfo of the process (Gradio, httpx,
transformers and the product alike); the browser tests start `qa serve` through it and then check LOG.
"""

from __future__ import annotations

import sys

LOOPBACK = {"127.0.0.1", "::1", "localhost", "0.0.0.0"}


def main() -> int:
    log = open(sys.argv[1], "a", encoding="utf-8")  # noqa: SIM115 - open for the process's life

    def hook(event: str, args: tuple) -> None:
        if event == "socket.connect":
            address = args[1]
            host = address[0] if isinstance(address, tuple) else None  # a str is a Unix socket's path
            if host is not None and host not in LOOPBACK:
                log.write(f"connect {host}\n")
                log.flush()
        elif event == "socket.getaddrinfo":
            host = args[0]
            if isinstance(host, bytes):
                host = host.decode()
            if host and host not in LOOPBACK:
                log.write(f"lookup {host}\n")
                log.flush()

    sys.addaudithook(hook)
    from qa.cli import main as qa_main

    return qa_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
