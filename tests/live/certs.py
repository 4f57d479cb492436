"""A throwaway CA, a server certificate for 127.0.0.1 and a client certificate."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Pem:
    cert: bytes
    key: bytes


@dataclass(frozen=True)
class Certs:
    ca: Pem
    server: Pem
    client: Pem
    ca_file: Path
    server_cert_file: Path
    server_key_file: Path


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _issue(
    subject: str,
    issuer: x509.Name | None,
    issuer_key: ec.EllipticCurvePrivateKey | None,
    *,
    ca: bool = False,
    server: bool = False,
    client: bool = False,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    else:
        if issuer_key is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                critical=False,
            )
        usages = []
        if server:
            usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
        if client:
            usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    return cert, key


def make_certs(directory: Path) -> Certs:
    ca_cert, ca_key = _issue("netreach-test-ca", None, None, ca=True)
    server_cert, server_key = _issue("127.0.0.1", ca_cert.subject, ca_key, server=True)
    client_cert, client_key = _issue("alice", ca_cert.subject, ca_key, client=True)

    def pem(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Pem:
        return Pem(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))

    ca, srv, cli = pem(ca_cert, ca_key), pem(server_cert, server_key), pem(client_cert, client_key)
    ca_file = directory / "ca.crt"
    ca_file.write_bytes(ca.cert)
    server_cert_file = directory / "server.crt"
    server_cert_file.write_bytes(srv.cert)
    server_key_file = directory / "server.key"
    server_key_file.write_bytes(srv.key)
    return Certs(ca, srv, cli, ca_file, server_cert_file, server_key_file)
