"""The local broker's certificates: a CA, and a broker certificate it signed for the broker's
names, usable as server and as client (the controller listener's mutual TLS)."""

from __future__ import annotations

import ssl
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from rollwatch.core.kafka_certificates import write_broker_certificates


def test_the_broker_certificate_is_signed_by_the_ca_for_its_names(tmp_path: Path) -> None:
    assert write_broker_certificates(tmp_path / "tls", ["kafka", "127.0.0.1"])
    ca = x509.load_pem_x509_certificate((tmp_path / "tls" / "ca.pem").read_bytes())
    chain = x509.load_pem_x509_certificates((tmp_path / "tls" / "broker.pem").read_bytes())
    broker = chain[0]
    broker.verify_directly_issued_by(ca)
    names = broker.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["kafka"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    usages = broker.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(usages) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    assert (tmp_path / "tls" / "broker.pem").stat().st_mode & 0o077 == 0  # the key is the owner's
    # Python's TLS (the clients') loads the CA as a trust anchor.
    ssl.create_default_context(cafile=str(tmp_path / "tls" / "ca.pem"))


def test_existing_certificates_are_kept(tmp_path: Path) -> None:
    assert write_broker_certificates(tmp_path, ["localhost"])
    before = (tmp_path / "broker.pem").read_bytes()
    assert not write_broker_certificates(tmp_path, ["localhost"])
    assert (tmp_path / "broker.pem").read_bytes() == before
