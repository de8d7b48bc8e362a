"""`rollwatch kafka start|stop|status|fetch`: the local broker, or a local cluster of several,
plaintext or secured (`--sasl`); `credentials` (a secured local broker's principal as settings);
`grant` (the product's topics and every principal's ACLs on the configured cluster, as its admin:
compose runs it) and `principal` (a principal of one's own, e.g. an integrator's)."""

from __future__ import annotations

import argparse
import json
import secrets
import shlex
import sys
import time

from rollwatch.app.run_command import prepare_kafka
from rollwatch.core.local_kafka import LocalKafka, LocalKafkaError, broker_answers
from rollwatch.core.local_kafka_cluster import LocalKafkaCluster
from rollwatch.core.settings import Settings


def kafka_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "grant":
        return _grant(settings, args)
    if args.action == "principal":
        return _principal(settings, args)
    sasl = bool(getattr(args, "sasl", False))
    broker = LocalKafka.from_settings(settings, sasl=sasl)
    cluster = LocalKafkaCluster.existing(settings)
    if args.action == "start" and args.brokers is not None and args.brokers > 1:
        if cluster is not None and cluster.size != args.brokers:
            raise LocalKafkaError(
                f"this data folder holds a cluster of {cluster.size}; stop it and remove "
                f"{cluster.data_dir} to make one of {args.brokers}"
            )
        cluster = cluster or LocalKafkaCluster.new(settings, args.brokers, sasl=sasl)
    if cluster is not None and args.action != "fetch":
        return _kafka_cluster(settings, cluster, args)
    if args.node is not None:
        raise LocalKafkaError("--node needs a local cluster: `rollwatch kafka start --brokers 3`")
    if args.action == "fetch":
        print(broker.fetch())
    elif args.action == "start":
        pid = broker.start()
        prepare_kafka(settings, broker.connection, secured=broker.security is not None)
        print(f"Kafka is running at {settings.kafka_bootstrap} (pid {pid}); logs in {broker.log_file}")
        _say_how_to_connect(broker.security is not None)
    elif args.action == "stop":
        print("stopped" if broker.stop() else "no local broker was running")
    elif args.action == "credentials":
        return _credentials(broker, args.principal)
    else:
        status = broker.status()
        print(json.dumps(status))
        return 0 if status["answers"] else 3
    return 0


def _kafka_cluster(settings: Settings, cluster: LocalKafkaCluster, args: argparse.Namespace) -> int:
    if args.action == "start":
        if args.node is not None:
            pid = cluster.start_node(args.node)
            print(f"Kafka node {args.node} is running at {cluster.node(args.node).bootstrap} (pid {pid})")
            return 0
        pids = cluster.start()
        prepare_kafka(settings, cluster.connection, secured=cluster.sasl)
        print(
            f"Kafka cluster of {cluster.size} is running (pids {', '.join(map(str, pids))}); "
            f"topics replicated {cluster.replication} times.\n"
            f"Point Rollwatch at it: export ROLLWATCH_KAFKA_BOOTSTRAP={cluster.bootstrap}"
        )
        _say_how_to_connect(cluster.sasl)
    elif args.action == "stop":
        if args.node is not None:
            stopped = cluster.stop_node(args.node)
            print(f"node {args.node} stopped" if stopped else f"node {args.node} was not running")
        else:
            print(f"{cluster.stop()} node(s) stopped")
    elif args.action == "credentials":
        return _credentials(cluster, args.principal)
    else:
        status = cluster.status()
        print(json.dumps(status, indent=2))
        return 0 if status["answering"] else 3
    return 0


def _say_how_to_connect(secured: bool) -> None:
    if secured:
        print(
            "SASL/SCRAM over TLS with ACLs. Connect as a principal (admin, ingest, tracker, alerts, "
            'rollwatch, integrator): eval "$(rollwatch kafka credentials rollwatch)"'
        )


def _credentials(broker: LocalKafka | LocalKafkaCluster, principal: str) -> int:
    """A principal's settings as shell `export` lines, for `eval`."""
    if broker.security is None:
        raise LocalKafkaError("the local broker is not secured: start it with `rollwatch kafka start --sasl`")
    try:
        connection = broker.security.connection(broker.bootstrap, principal)
    except (KeyError, OSError) as exc:
        raise LocalKafkaError(f"no credentials for {principal!r}: {exc}") from exc
    for name, value in connection.settings().items():
        print(f"export ROLLWATCH_{name.upper()}={shlex.quote(value)}")
    return 0


def _grant(settings: Settings, args: argparse.Namespace) -> int:
    """On the configured (secured) cluster, as the admin principal of the settings."""
    deadline = time.monotonic() + args.wait
    while not broker_answers(settings.kafka):
        if time.monotonic() > deadline:
            raise LocalKafkaError(
                f"no Kafka broker answered at {settings.kafka_bootstrap} within {args.wait}s"
            )
        time.sleep(2)
    prepare_kafka(settings, settings.kafka, secured=settings.kafka.sasl)
    print(f"topics and ACLs in place at {settings.kafka_bootstrap}")
    return 0


def _principal(settings: Settings, args: argparse.Namespace) -> int:
    """A new principal (or a new password for one) with its role's ACLs; the password is printed
    once, on stdout."""
    from rollwatch.core.kafka_acls import add_principal

    password = secrets.token_urlsafe(24)
    add_principal(settings.kafka, settings.topics, args.name, args.role, password)
    print(f"principal {args.name} ({args.role}) ready; its password is shown only once", file=sys.stderr)
    print(password)
    return 0
