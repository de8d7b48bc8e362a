"""SASL/SCRAM over TLS, with ACLs, for the local broker (`rollwatch kafka start --sasl`): its
certificates, the principals' passwords and the broker settings that use them, in one folder
(`$ROLLWATCH_DATA_DIR/kafka/tls`, or `.../kafka/cluster/tls` shared by a local cluster's nodes).

- Clients reach the broker on a SASL_SSL listener: SCRAM-SHA-512 credentials, TLS verified
  against `ca.pem`. There is no plaintext listener left.
- The controller listener takes only TLS clients holding a certificate of this CA (the brokers'),
  so the controller APIs are closed to everyone else too.
- The StandardAuthorizer refuses what no ACL allows; the ACLs are `rollwatch.core.kafka_acls`'s
  (granted at start). Super users: `admin` (grants ACLs, creates topics) and `broker` (the nodes
  to one another).
- SCRAM credentials are written into the metadata when the storage is formatted (the KRaft way:
  `kafka-storage format --add-scram`), one per role of `kafka_acls.ROLES` and for `broker`;
  their random passwords are kept in `principals.json` (mode 0600)."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from rollwatch.core.kafka_acls import ROLES
from rollwatch.core.kafka_certificates import BROKER_COMMON_NAME, write_broker_certificates
from rollwatch.core.kafka_connection import KafkaConnection, SaslMechanism

MECHANISM: SaslMechanism = "SCRAM-SHA-512"
# The nodes' SCRAM user, and the common name of their certificate (its principal on the controller
# listener), so that one super user covers both.
BROKER_USER = BROKER_COMMON_NAME
SUPER_USERS = ("admin", BROKER_USER)


@dataclass(frozen=True)
class LocalKafkaSecurity:
    folder: Path

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def broker_file(self) -> Path:
        return self.folder / "broker.pem"

    @property
    def principals_file(self) -> Path:
        return self.folder / "principals.json"

    def ensure(self, hosts: list[str]) -> None:
        """The certificates (for `hosts`) and the principals' passwords, made once."""
        write_broker_certificates(self.folder, [*hosts, "localhost", "127.0.0.1"])
        if not self.principals_file.exists():
            passwords = {name: secrets.token_hex(24) for name in (*ROLES, BROKER_USER)}
            descriptor = os.open(self.principals_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as out:
                json.dump(passwords, out, indent=2)

    def password(self, principal: str) -> str:
        passwords: dict[str, str] = json.loads(self.principals_file.read_text())
        if principal not in passwords:
            raise KeyError(f"no principal {principal!r}; the local broker has {', '.join(passwords)}")
        return passwords[principal]

    def connection(self, bootstrap: str, principal: str = "admin") -> KafkaConnection:
        return KafkaConnection(
            bootstrap=bootstrap,
            security_protocol="SASL_SSL",
            sasl_mechanism=MECHANISM,
            username=principal,
            password=SecretStr(self.password(principal)),
            ca_file=self.ca_file,
        )

    def format_arguments(self) -> list[str]:
        """`kafka-storage format` arguments that add every principal's SCRAM credential."""
        passwords: dict[str, str] = json.loads(self.principals_file.read_text())
        return [
            arg
            for name, password in passwords.items()
            for arg in ("--add-scram", f"{MECHANISM}=[name={name},password={password}]")
        ]

    def broker_properties(self) -> dict[str, str]:
        """The security part of server.properties; the listeners are named SASL_SSL (clients and
        brokers) and CONTROLLER (TLS with client certificates)."""
        jaas = (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{BROKER_USER}" password="{self.password(BROKER_USER)}";'
        )
        return {
            "listener.security.protocol.map": "SASL_SSL:SASL_SSL,CONTROLLER:SSL",
            "inter.broker.listener.name": "SASL_SSL",
            "sasl.enabled.mechanisms": MECHANISM,
            "sasl.mechanism.inter.broker.protocol": MECHANISM,
            f"listener.name.sasl_ssl.{MECHANISM.lower()}.sasl.jaas.config": jaas,
            "listener.name.controller.ssl.client.auth": "required",
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(self.broker_file),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.ca_file),
            # A certificate's principal is its common name: the brokers' is "broker".
            "ssl.principal.mapping.rules": "RULE:^CN=(.*?)$/$1/,DEFAULT",
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": ";".join(f"User:{name}" for name in SUPER_USERS),
            "allow.everyone.if.no.acl.found": "false",
        }
