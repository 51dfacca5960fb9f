"""Jobs: the progress and outcome of work that runs after its request was answered (shared/jobs.py).
A job id names its service (``registry:job-…``); the route asks that service."""
from __future__ import annotations

import json

from nameko.exceptions import MethodNotFound
from werkzeug.wrappers import Response

from gateway.routing import RouteGroup, route
from shared.config import service_names
from shared.errors import NotFound
from shared.jobs import JobSchema, job_service


def respond_async(request, size: int, job_bytes: int) -> bool:
    """Whether a route that can run its work as a job should: the upload is larger than
    ``job_bytes`` (config ``IMPORT_JOB_BYTES``) or the client asked (``Prefer: respond-async``)."""
    prefer = request.headers.get("Prefer", "")
    return size > job_bytes or "respond-async" in [p.strip().split(";")[0].lower() for p in prefer.split(",")]


def job_response(job: dict) -> Response:
    """202 Accepted: the job as it stands, with ``Location`` to poll."""
    return Response(json.dumps(job, ensure_ascii=False), status=202, mimetype="application/json",
                    headers={"Location": f"/api/v1/jobs/{job['id']}", "Preference-Applied": "respond-async"})


class JobRoutes(RouteGroup):
    @route("GET", "/api/v1/jobs/<job_id>", tags=["jobs"], response=JobSchema,
           summary="A job you started (an admin: any job): state queued / running / succeeded / failed, "
                   "percent, and its result or problem")
    def get_job(self, request, job_id):
        service = job_service(job_id)
        if service is None or service not in service_names(self.config):
            raise NotFound(f"job {job_id} not found")
        try:
            return self.services.call(service, "get_job", job_id)
        except MethodNotFound:  # a service that runs no jobs
            raise NotFound(f"job {job_id} not found")
