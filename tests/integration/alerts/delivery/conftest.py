from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.support.delivery_servers import LOOPBACK, SmtpForTests, start_smtp


class LocalCA:
    """A throwaway certificate authority: the SMTP server's certificate for 127.0.0.1, and the CA
    file a route trusts (`smtp.ca_file`)."""

    def __init__(self, folder: Path) -> None:
        self.ca = trustme.CA()
        self.ca_file = folder / "test-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(LOOPBACK).configure_cert(context)
        return context


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., SmtpForTests]]:
    """Start SMTP servers on free loopback ports (see `start_smtp`); all stop after the test."""
    started: list[SmtpForTests] = []

    def start(**options: Any) -> SmtpForTests:
        server = start_smtp(**options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
