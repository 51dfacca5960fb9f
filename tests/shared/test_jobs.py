"""Jobs (shared/jobs.py, issue 14): one job per key (a redelivery answers it, never runs it again),
readable only by its starter and an admin, and a job whose process stopped is marked failed,
not re-run. Unit tests over the embedded store, and one over the real broker."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import mongomock_ng
import pytest

from shared.errors import NotFound, ValidationFailed
from shared.jobs import (FAILED, INTERRUPTED, JOB_INDEXES, JOBS, QUEUED, RUNNING, SUCCEEDED, JobRecords,
                         Progress, job_service, problem_of)
from shared.storage import ensure_indexes

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def records():
    db = mongomock_ng.MongoClient(tz_aware=True)["jobs_test"]
    ensure_indexes(db, JOB_INDEXES)
    return JobRecords(db[JOBS], "registry")


def test_a_job_id_names_its_service(records):
    job, created = records.create_once("alice", "application_import", "upload:u1", T0)
    assert created and job["state"] == QUEUED and job["percent"] == 0
    assert job_service(job["_id"]) == "registry" and job["_id"].startswith("registry:job-")
    assert job_service("nonsense") is None and job_service(None) is None and job_service(":job-x") is None


def test_the_same_key_answers_the_same_job_and_starts_nothing(records):
    first, created = records.create_once("alice", "application_import", "key:k1", T0)
    again, created_again = records.create_once("alice", "application_import", "key:k1", T0)
    print(f"injected: the same key twice; counted: created {created}, {created_again}; ids equal "
          f"{first['_id'] == again['_id']}")
    assert created and not created_again and again["_id"] == first["_id"]
    other_user, created_other = records.create_once("bob", "application_import", "key:k1", T0)
    assert created_other and other_user["_id"] != first["_id"]          # keys are per user
    assert records.find("alice", "application_import", "key:k1")["_id"] == first["_id"]
    assert records.find("alice", "application_import", "key:nope") is None
    with pytest.raises(ValidationFailed):
        records.create_once("alice", "application_import", "k" * 201, T0)


def test_only_the_starter_and_an_admin_read_a_job(records):
    job, _ = records.create_once("alice", "application_import", None, T0)
    assert records.get("alice", "unit", job["_id"])["_id"] == job["_id"]
    assert records.get("root", "admin", job["_id"])["_id"] == job["_id"]
    for user, role in (("bob", "unit"), ("center", "city_center")):
        with pytest.raises(NotFound):
            records.get(user, role, job["_id"])
    with pytest.raises(NotFound):
        records.get("alice", "unit", "registry:job-unknown")


def test_states_percent_result_and_problem(records):
    job, _ = records.create_once("alice", "application_import", None, T0)
    records.running(job["_id"], T0)
    records.beat(job["_id"], 150, T0)
    assert records.get("alice", "unit", job["_id"])["percent"] == 99 and records.get("alice", "unit", job["_id"])["state"] == RUNNING
    records.succeeded(job["_id"], {"application_id": "a1"}, T0)
    done = records.get("alice", "unit", job["_id"])
    assert done["state"] == SUCCEEDED and done["percent"] == 100 and done["result"] == {"application_id": "a1"}
    records.failed(job["_id"], {"code": "late"}, T0)                       # a finished job stays finished
    assert records.get("alice", "unit", job["_id"])["state"] == SUCCEEDED
    failing, _ = records.create_once("alice", "application_import", None, T0)
    records.failed(failing["_id"], problem_of(ValidationFailed("bad cell", errors={"申报表!C5": "required"})), T0)
    problem = records.get("alice", "unit", failing["_id"])["problem"]
    assert problem["status"] == 422 and problem["errors"] == {"申报表!C5": "required"}
    assert problem_of(RuntimeError("secret detail"))["status"] == 500
    assert "secret" not in problem_of(RuntimeError("secret detail"))["detail"]


def test_an_interrupted_job_is_marked_failed_never_re_run(records):
    live, _ = records.create_once("alice", "application_import", None, T0)
    dead, _ = records.create_once("alice", "application_import", None, T0)
    records.running(live["_id"], T0)
    records.running(dead["_id"], T0)
    later = T0 + timedelta(seconds=20)
    records.beat(live["_id"], 40, later)                                  # another replica's live job
    swept = records.sweep_interrupted(later)
    print(f"injected: a running job whose heartbeat stopped 20 s ago and a live one; counted: swept {swept}")
    assert swept == [dead["_id"]]
    failed = records.get("alice", "unit", dead["_id"])
    assert failed["state"] == FAILED and failed["problem"]["detail"] == INTERRUPTED
    assert records.get("alice", "unit", live["_id"])["state"] == RUNNING


def test_progress_only_rises():
    progress = Progress()
    progress(30)
    progress(10)
    assert progress.percent == 30


def test_a_job_cut_off_by_a_stop_is_failed_at_the_next_start_never_re_run(config, container_factory):
    """issue 14, over the real broker: the registry stops while a job runs; when it starts again
    the job reads failed (interrupted), and asking for it again (same key) answers that record."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.registry.service import APPLICATION_IMPORT, RegistryService
    from shared.principal import UNIT, Principal
    from shared.storage import container_db
    config = {**config, "MONGO_URI": "memory://jobs-test-%s" % id(config)}
    first = container_factory(RegistryService, config)
    first.start()
    jobs = JobRecords(container_db(first)[JOBS], "registry")
    cut, _ = jobs.create_once("demo-unit-a", APPLICATION_IMPORT, "key:k-cut", T0)
    jobs.running(cut["_id"], datetime.now(timezone.utc) - timedelta(minutes=1))   # its last heartbeat
    first.stop()
    again = container_factory(RegistryService, config)
    again.start()
    unit = Principal("demo-unit-a", UNIT, "dongcheng", "unit-demo-a")
    with ClusterRpcProxy(config, context_data={"principal": unit.to_header()}) as rpc:
        seen = rpc.registry.get_job(cut["_id"])
        asked_again = rpc.registry.start_application_import("no-such-upload", idempotency_key="k-cut")
    print(f"injected: a running job whose service stopped; counted: after the restart {seen['state']}: "
          f"{seen['problem']['detail'][:60]}…; asked again: {asked_again['id'] == cut['_id']}")
    assert seen["state"] == FAILED and seen["problem"]["detail"] == INTERRUPTED
    assert asked_again["id"] == cut["_id"] and asked_again["state"] == FAILED
