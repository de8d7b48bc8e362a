"""The console's "verify now": a verification of the whole ledger (services/tracker/verification.py)
run as a background job, so the auditor's page answers at once and shows progress while it runs.

Jobs run one at a time on one worker thread (with its own ledger client): asking again while one
runs joins it. A job checks all that `rollwatch verify` does: the checkpoints' signatures with the
console's secrets, and the checkpoints against their copy on the `ledger-checkpoints` topic. Jobs
are kept in memory, the last few only; what each found is recorded in the sealed
`ledger_verifications` log (services/tracker/verification_log.py) either way."""

from __future__ import annotations

import datetime as dt
import logging
import queue
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

from kafka.errors import KafkaError

from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.settings import Settings
from services.tracker.access_log import flush_access_log
from services.tracker.checkpoint_topic import read_published
from services.tracker.verification import TOPIC_STEP, Report, steps
from services.tracker.verification_log import verify_and_record

log = logging.getLogger(__name__)


@dataclass
class VerifyJob:
    job_id: str
    reader: KeyRecord  # who asked
    started_at: dt.datetime
    placements: bool
    steps: list[str]
    step: int = -1  # the index of the step under way (-1: waiting to start)
    finished_at: dt.datetime | None = None
    report: Report | None = None
    error: str | None = None

    @property
    def started_by(self) -> str:
        return self.reader.display_name

    @property
    def running(self) -> bool:
        return self.finished_at is None

    def reached(self, label: str) -> None:
        self.step = self.steps.index(label) if label in self.steps else self.step


class VerifyJobs:
    def __init__(self, settings: Settings, keep: int = 20) -> None:
        self._settings = settings
        self._keep = keep
        self._jobs: OrderedDict[str, VerifyJob] = OrderedDict()
        self._lock = threading.Lock()
        self._queue: queue.Queue[VerifyJob] = queue.Queue()
        self._worker: threading.Thread | None = None

    def start(self, clients: ClientPerThread, reader: KeyRecord, *, placements: bool) -> VerifyJob:
        """A new job, or the one already under way."""
        with self._lock:
            under_way = self.running()
            if under_way is not None:
                return under_way
            job = VerifyJob(
                job_id=secrets.token_hex(8),
                reader=reader,
                started_at=dt.datetime.now(dt.UTC),
                placements=placements,
                steps=steps(derived=placements, topic=True),
            )
            self._jobs[job.job_id] = job
            while len(self._jobs) > self._keep:
                self._jobs.popitem(last=False)
            if self._worker is None:
                # A daemon: a verification under way never holds up the process's exit.
                self._worker = threading.Thread(
                    target=self._work, args=(clients,), name="console-verify", daemon=True
                )
                self._worker.start()
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> VerifyJob | None:
        return self._jobs.get(job_id)

    def running(self) -> VerifyJob | None:
        return next((job for job in reversed(self._jobs.values()) if job.running), None)

    def _work(self, clients: ClientPerThread) -> None:
        while True:
            self._run(clients, self._queue.get())

    def _run(self, clients: ClientPerThread, job: VerifyJob) -> None:
        settings = self._settings
        try:
            job.reached(TOPIC_STEP)
            published = read_published(settings.kafka, settings.topics.ledger_checkpoints)
            flush_access_log(clients)  # the reads this process answered are in what is verified
            job.report, _ = verify_and_record(
                clients.get(),
                settings.secrets,
                by=job.reader,
                via="console",
                placements=job.placements,
                published=published,
                progress=job.reached,
            )
        except KafkaError as exc:
            log.warning("console verification: topic unreadable", extra={"job_id": job.job_id})
            job.error = (
                f"Cannot read the ledger-checkpoints topic ({type(exc).__name__}). "
                "The command rollwatch verify --no-topic checks the database alone"
            )
        except Exception as exc:
            log.exception("console verification failed", extra={"job_id": job.job_id})
            job.error = f"{type(exc).__name__}: {str(exc)[:300]}"
        finally:
            job.finished_at = dt.datetime.now(dt.UTC)
