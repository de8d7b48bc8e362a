"""`rollwatch kafka start|stop|status|fetch`: the local broker, or a local cluster of several."""

from __future__ import annotations

import argparse
import json

from rollwatch.app.run_command import ensure_topics
from rollwatch.core.local_kafka import LocalKafka, LocalKafkaError
from rollwatch.core.local_kafka_cluster import LocalKafkaCluster
from rollwatch.core.settings import Settings


def kafka_command(settings: Settings, args: argparse.Namespace) -> int:
    broker = LocalKafka.from_settings(settings)
    cluster = LocalKafkaCluster.existing(settings)
    if args.action == "start" and args.brokers is not None and args.brokers > 1:
        if cluster is not None and cluster.size != args.brokers:
            raise LocalKafkaError(
                f"this data folder holds a cluster of {cluster.size}; stop it and remove "
                f"{cluster.data_dir} to make one of {args.brokers}"
            )
        cluster = cluster or LocalKafkaCluster.new(settings, args.brokers)
    if cluster is not None and args.action != "fetch":
        return _kafka_cluster(settings, cluster, args)
    if args.node is not None:
        raise LocalKafkaError("--node needs a local cluster: `rollwatch kafka start --brokers 3`")
    if args.action == "fetch":
        print(broker.fetch())
    elif args.action == "start":
        pid = broker.start()
        ensure_topics(settings)
        print(f"Kafka is running at {settings.kafka_bootstrap} (pid {pid}); logs in {broker.log_file}")
    elif args.action == "stop":
        print("stopped" if broker.stop() else "no local broker was running")
    else:
        status = broker.status()
        print(json.dumps(status))
        return 0 if status["answers"] else 3
    return 0


def _kafka_cluster(settings: Settings, cluster: LocalKafkaCluster, args: argparse.Namespace) -> int:
    on_cluster = settings.model_copy(update={"kafka_bootstrap": cluster.bootstrap})
    if args.action == "start":
        if args.node is not None:
            pid = cluster.start_node(args.node)
            print(f"Kafka node {args.node} is running at {cluster.node(args.node).bootstrap} (pid {pid})")
            return 0
        pids = cluster.start()
        ensure_topics(on_cluster)
        print(
            f"Kafka cluster of {cluster.size} is running (pids {', '.join(map(str, pids))}); "
            f"topics replicated {cluster.replication} times.\n"
            f"Point Rollwatch at it: export ROLLWATCH_KAFKA_BOOTSTRAP={cluster.bootstrap}"
        )
    elif args.action == "stop":
        if args.node is not None:
            stopped = cluster.stop_node(args.node)
            print(f"node {args.node} stopped" if stopped else f"node {args.node} was not running")
        else:
            print(f"{cluster.stop()} node(s) stopped")
    else:
        status = cluster.status()
        print(json.dumps(status, indent=2))
        return 0 if status["answering"] else 3
    return 0
