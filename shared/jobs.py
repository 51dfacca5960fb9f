"""Jobs: work that can take longer than a request runs after the request has been answered,
with its progress readable, and is never done twice.

A service mixes in ``JobRunner`` (before ``ServiceBase``) and adds ``*JOB_INDEXES`` to its
``INDEXES``; an entry point starts a job and answers at once::

    class RegistryService(JobRunner, UploadReceiver, ServiceBase):

        @rpc
        def start_application_import(self, upload_id, idempotency_key=None):
            def work(progress):                       # runs in a green thread after the answer
                data = tpool.execute(parse, content, progress)    # CPU work off the eventlet hub
                progress(90)
                return {"application_id": store_it(data)}         # the job's result (a dict)
            return self.start_job("application_import", work,
                                  key=idempotency_key or f"upload:{upload_id}")

``start_job`` answers the job record (``JobSchema``: ``id`` = ``<service>:job-<hex>``, ``state``
queued → running → succeeded | failed, ``percent``, ``result`` or ``problem``). The record is
keyed per user by ``key`` (the request's Idempotency-Key, or the upload id): a repeated or
redelivered request with the same key answers the existing job and starts nothing. ``work``
gets ``progress(percent)`` (safe to call from a ``tpool`` thread: it only sets a number that
the job's heartbeat writes every ``JOB_HEARTBEAT_SECONDS``). A ``DomainError`` raised by
``work`` is the job's ``problem`` (its problem+json body); any other exception a 500 problem
that says only that the job failed (the traceback is logged).

A job is never re-run: a process that stops while it runs leaves it ``running`` with a
heartbeat that goes stale; the sweep (at each start of the service and every
``JOB_SWEEP_SECONDS``) marks such a job ``failed`` with a message saying it was interrupted
and that the request must be sent again. (Replicas of a service share the records; only a
stale heartbeat, never another replica's live job, is swept.)

Reading: the mixin's ``get_job(job_id)`` RPC answers the job to the user who started it and
to an admin; for anyone else it does not exist (404). The gateway's ``GET /api/v1/jobs/{id}``
asks the service named before the colon of the id.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import eventlet
from marshmallow import fields
from nameko.extensions import DependencyProvider
from nameko.timer import timer
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from shared.errors import DomainError, NotFound, ValidationFailed
from shared.logs import log_event
from shared.principal import ADMIN
from shared.rpc import rpc
from shared.schemas import ProblemSchema, StrictSchema, dump
from shared.storage import Index, container_db

log = logging.getLogger("skillmaster.jobs")

JOBS = "jobs"
JOB_INDEXES = (Index(JOBS, [("key", ASCENDING)], unique=True, sparse=True, name="job_key"),
               Index(JOBS, [("state", ASCENDING), ("heartbeat_at", ASCENDING)]))
QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
JOB_STATES = (QUEUED, RUNNING, SUCCEEDED, FAILED)
JOB_HEARTBEAT_SECONDS = 1.0
JOB_STALE_AFTER = timedelta(seconds=15)
JOB_SWEEP_SECONDS = 10
MAX_KEY_LENGTH = 200
INTERRUPTED = ("the job was interrupted (its service stopped while it ran) and was not resumed; "
               "nothing of it is kept: send the request again")


class JobProblemSchema(ProblemSchema):
    """Why a job failed: the problem+json body its error would have answered, with its ``code``."""
    code = fields.String()


class JobSchema(StrictSchema):
    """A job as ``GET /api/v1/jobs/{id}`` answers it."""
    id = fields.String(attribute="_id", metadata={"description": "<service>:job-<hex>"})
    kind = fields.String()
    state = fields.String(metadata={"enum": list(JOB_STATES)})
    percent = fields.Integer()
    result = fields.Dict(keys=fields.String(), values=fields.Raw(), allow_none=True,
                         metadata={"description": "what the job made (succeeded only)"})
    problem = fields.Nested(JobProblemSchema, allow_none=True,
                            metadata={"description": "why it failed (problem+json body; failed only)"})
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


def job_service(job_id: Any) -> str | None:
    """The service a job id names (``registry:job-…`` → ``registry``), or None."""
    if not isinstance(job_id, str) or ":job-" not in job_id:
        return None
    return job_id.split(":job-", 1)[0] or None


class JobRecords:
    """The jobs a service keeps (its ``jobs`` collection): the repository."""

    def __init__(self, collection, service: str):
        self.jobs = collection
        self.service = service

    def create_once(self, owner: str, kind: str, key: str | None, now: datetime) -> tuple[dict, bool]:
        """A queued job for ``owner`` unless one with ``key`` exists: (job, created)."""
        if key is not None and (not isinstance(key, str) or len(key) > MAX_KEY_LENGTH):
            raise ValidationFailed("the job key is text of at most 200 characters", errors={"key": "too long"})
        job = {"_id": f"{self.service}:job-{uuid.uuid4().hex}", "kind": kind, "owner": owner, "state": QUEUED,
               "percent": 0, "result": None, "problem": None, "created_at": now, "started_at": None,
               "finished_at": None, "heartbeat_at": now}
        if key:
            job["key"] = self.key_of(owner, kind, key)
            existing = self.jobs.find_one({"key": job["key"]})
            if existing is not None:
                return existing, False
        try:
            self.jobs.insert_one(job)
        except DuplicateKeyError:
            existing = self.jobs.find_one({"key": job["key"]})
            if existing is None:
                raise
            return existing, False
        return job, True

    @staticmethod
    def key_of(owner: str, kind: str, key: str) -> str:
        return f"{owner}:{kind}:{key}"

    def find(self, owner: str, kind: str, key: str) -> dict | None:
        return self.jobs.find_one({"key": self.key_of(owner, kind, key)})

    def get(self, user: str, role: str, job_id: Any) -> dict:
        job = self.jobs.find_one({"_id": str(job_id)})
        if job is None or (job["owner"] != user and role != ADMIN):
            raise NotFound(f"job {job_id} not found")
        return job

    def running(self, job_id: str, now: datetime) -> None:
        self.jobs.update_one({"_id": job_id, "state": QUEUED},
                             {"$set": {"state": RUNNING, "started_at": now, "heartbeat_at": now}})

    def beat(self, job_id: str, percent: int, now: datetime) -> None:
        self.jobs.update_one({"_id": job_id, "state": RUNNING},
                             {"$set": {"heartbeat_at": now, "percent": max(0, min(99, int(percent)))}})

    def succeeded(self, job_id: str, result: dict | None, now: datetime) -> None:
        self.jobs.update_one({"_id": job_id, "state": {"$in": [QUEUED, RUNNING]}},
                             {"$set": {"state": SUCCEEDED, "percent": 100, "result": result or {},
                                       "finished_at": now, "heartbeat_at": now}})

    def failed(self, job_id: str, problem: dict, now: datetime) -> None:
        self.jobs.update_one({"_id": job_id, "state": {"$in": [QUEUED, RUNNING]}},
                             {"$set": {"state": FAILED, "problem": problem, "finished_at": now,
                                       "heartbeat_at": now}})

    def sweep_interrupted(self, now: datetime, stale_after: timedelta = JOB_STALE_AFTER) -> list[str]:
        """Mark failed every unfinished job whose heartbeat stopped (its process is gone)."""
        stale = [j["_id"] for j in self.jobs.find({"state": {"$in": [QUEUED, RUNNING]},
                                                    "heartbeat_at": {"$lt": now - stale_after}}, {"_id": 1})]
        problem = {"code": "job_interrupted", "status": 503, "title": "Job interrupted", "detail": INTERRUPTED}
        for job_id in stale:
            self.failed(job_id, problem, now)
        return stale


def problem_of(exc: BaseException) -> dict:
    if isinstance(exc, DomainError):
        body = exc.to_dict()
        return {k: body[k] for k in ("code", "status", "title", "detail", "errors", "rule") if body.get(k) is not None}
    return {"code": "job_failed", "status": 500, "title": "Job failed",
            "detail": "the job failed unexpectedly; nothing of it is kept (the service's log has the cause)"}


class Progress:
    """``progress(percent)``: callable from any thread (it only sets a number)."""

    def __init__(self):
        self.percent = 0

    def __call__(self, percent: float) -> None:
        self.percent = max(self.percent, int(percent))


class JobWorkers(DependencyProvider):
    """Runs the service's jobs in managed green threads; sweeps interrupted ones at start."""

    def setup(self):
        self.heartbeat = float(self.container.config.get("JOB_HEARTBEAT_SECONDS", JOB_HEARTBEAT_SECONDS))

    def records(self) -> JobRecords:
        return JobRecords(container_db(self.container)[JOBS], self.container.service_name)

    def start(self):
        swept = self.records().sweep_interrupted(utc_now())
        if swept:
            log_event(log, "interrupted jobs marked failed", logging.WARNING, service=self.container.service_name,
                      jobs=swept)

    def now(self) -> datetime:
        return utc_now()

    def launch(self, job: dict, work: Callable[[Progress], Any]) -> None:
        self.container.spawn_managed_thread(lambda: self._run(job, work), identifier=f"job {job['_id']}")

    def _run(self, job: dict, work) -> None:
        now = self.now
        records, job_id, progress = self.records(), job["_id"], Progress()
        records.running(job_id, now())
        log_event(log, "job started", service=self.container.service_name, job_id=job_id, kind=job["kind"])

        def beat():
            while True:
                eventlet.sleep(self.heartbeat)
                records.beat(job_id, progress.percent, now())

        beating = eventlet.spawn(beat)
        try:
            result = work(progress)
        except Exception as exc:  # the job's outcome, not the container's
            if not isinstance(exc, DomainError):
                log.exception("job %s failed", job_id)
            records.failed(job_id, problem_of(exc), now())
            log_event(log, "job failed", service=self.container.service_name, job_id=job_id,
                      code=problem_of(exc)["code"])
        else:
            records.succeeded(job_id, result, now())
            log_event(log, "job succeeded", service=self.container.service_name, job_id=job_id)
        finally:
            beating.kill()

    def get_dependency(self, worker_ctx):
        return self


def utc_now() -> datetime:
    """Jobs are technical records: their stamps and heartbeats are real time (UTC), not the
    service's (possibly moved) clock, so moving a demo clock never makes a live job look stale."""
    return datetime.now(timezone.utc)


class JobRunner:
    """Mix in before ``ServiceBase``; uses the service's ``store`` (its principal owns the job). Add ``*JOB_INDEXES`` to the service's ``INDEXES``."""
    job_workers = JobWorkers()

    def _job_records(self) -> JobRecords:
        return JobRecords(self.store.internal(JOBS), self.name)

    def find_job(self, kind: str, key: str) -> dict | None:
        """The caller's job of ``kind`` with ``key``, if one was started (to answer it before taking
        what a new job would consume, e.g. an upload)."""
        job = self._job_records().find(self.store.principal.user, kind, key)
        return None if job is None else dump(JobSchema(), job)

    def start_job(self, kind: str, work: Callable[[Progress], Any], *, key: str | None = None) -> dict:
        """The caller's job of ``kind`` keyed by ``key``: a new one runs ``work`` after the answer;
        an existing one (same user, kind and key) is answered as it is and nothing runs again."""
        job, created = self._job_records().create_once(self.store.principal.user, kind, key, utc_now())
        if created:
            self.job_workers.launch(job, work)
        else:
            log_event(log, "job asked for again: answered, not re-run", service=self.name, job_id=job["_id"])
        return dump(JobSchema(), job)

    @rpc
    def get_job(self, job_id):
        principal = self.store.principal
        return dump(JobSchema(), self._job_records().get(principal.user, principal.role, job_id))

    @timer(interval=JOB_SWEEP_SECONDS)
    def sweep_interrupted_jobs(self):
        swept = self._job_records().sweep_interrupted(utc_now())
        if swept:
            log_event(log, "interrupted jobs marked failed", logging.WARNING, service=self.name, jobs=swept)
