"""An application's materials (R-8): real uploads kept in MongoDB chunks with size and sha256.

The file's chunks and its record carry the application's tenant and unit, so the same
scoping that hides an application hides its files. Chunks are written first, then the
record, then the application lists it (only while the application may still take
materials); if that last step is refused, the chunks and record are removed again.
"""
from __future__ import annotations

import base64
import uuid

from bson.binary import Binary

from services.registry.domain import files, workflow
from services.registry.storage import applications
from services.registry.contract import MATERIAL_KINDS, UNIT_MATERIAL_KINDS
from services.registry.domain.records import now
from services.registry.storage import APPLICATIONS, MATERIAL_CHUNKS, MATERIALS
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.idempotency import replayed_within, within_filter, within_key, within_set
from shared.principal import TENANT
from shared.storage import Store, public


def _replayed(store: Store, app: dict, stamp: dict | None) -> dict | None:
    """The summary of the material ``app`` holds under this key (a replay), or None."""
    material_id = replayed_within(store, app, stamp, "material")
    if material_id is None:
        return None
    summary = next((m for m in app.get("materials") or [] if m["id"] == material_id), None)
    if summary is None:   # the application kept the key but no longer lists it (never: nothing removes one)
        raise Conflict("this Idempotency-Key's material is no longer on the application")
    return dict(summary)


def add(store: Store, application_id: str, kind: str, filename: str | None, content: bytes,
        idempotency_key: str | None = None) -> dict:
    """Store the file in chunks, then add its summary to the application: that guarded update is
    the commit point, and it writes the ``idempotency_key`` too, so the same key and file answer
    the material it made (the new copy is removed) and never add it twice."""
    principal = store.principal
    if kind not in MATERIAL_KINDS:
        raise ValidationFailed("unknown material kind", errors={"kind": f"one of {', '.join(MATERIAL_KINDS)}"})
    stamp = within_key(principal.user, idempotency_key, {"application_id": application_id, "kind": kind,
                                                         "filename": filename, "sha256": files.sha256(content)})
    app = applications.get(store, application_id)
    replayed = _replayed(store, app, stamp)
    if replayed is not None:
        return replayed
    if principal.role == TENANT and kind != "tenant_opinion":
        raise ValidationFailed("the tenant uploads only its signed opinion", errors={"kind": "tenant_opinion"})
    if principal.role != TENANT and kind not in UNIT_MATERIAL_KINDS:
        raise ValidationFailed("the signed opinion is the tenant's", errors={"kind": ", ".join(UNIT_MATERIAL_KINDS)})
    action = "add_opinion" if kind == "tenant_opinion" else "add_material"
    workflow.decide(workflow.APPLICATION, app["status"], action, principal.role)
    media_type = files.check_material(content)
    material_id = uuid.uuid4().hex
    scope = {"tenant_id": app["tenant_id"], "unit_id": app["unit_id"]}
    chunks = store.scoped(MATERIAL_CHUNKS)
    for n, part in enumerate(files.chunks(content)):
        chunks.insert({"_id": f"{material_id}:{n:05d}", "material_id": material_id, "n": n, "data": Binary(part),
                       **scope})
    record = {"_id": material_id, "application_id": application_id, "kind": kind,
              "filename": files.safe_filename(filename, media_type), "content_type": media_type,
              "size": len(content), "sha256": files.sha256(content), "chunks": n + 1,
              "uploaded_by": principal.user, "uploaded_at": now(), **scope}
    store.scoped(MATERIALS).insert(record)
    summary = {k: record[k] for k in ("kind", "filename", "content_type", "size", "sha256", "uploaded_by",
                                      "uploaded_at")}
    summary.update(id=material_id, application_id=application_id)
    allowed = [s for (s, a) in workflow.APPLICATION if a == action]
    update = {"$push": {"materials": summary}}
    if stamp:
        update["$set"] = within_set(stamp, material_id, "material")
    try:
        store.scoped(APPLICATIONS).update(application_id, update,
                                          extra_filter={"status": {"$in": allowed}, **within_filter(stamp)})
    except NotFound:
        _remove(store, material_id)
        replayed = _replayed(store, applications.get(store, application_id), stamp)   # the same key won meanwhile
        if replayed is not None:
            return replayed
        raise Conflict("the application changed state meanwhile; it takes no materials now")
    return summary


def _remove(store: Store, material_id: str) -> None:
    system = store.as_system("material rollback")
    system.scoped(MATERIAL_CHUNKS).collection.delete_many({"material_id": material_id})
    system.scoped(MATERIALS).collection.delete_one({"_id": material_id})


def list_for(store: Store, application_id: str) -> list[dict]:
    app = applications.get(store, application_id)
    return list(app.get("materials") or [])


def download(store: Store, application_id: str, material_id: str) -> dict:
    """The file, for whoever may see the application (404 otherwise); its sha256 is checked."""
    applications.get(store, application_id)
    record = store.scoped(MATERIALS).get(material_id, "material")
    if record["application_id"] != application_id:
        raise NotFound(f"material {material_id} not found")
    parts = store.scoped(MATERIAL_CHUNKS).find({"material_id": material_id}, sort=[("n", 1)])
    content = b"".join(bytes(p["data"]) for p in parts)
    if len(content) != record["size"] or files.sha256(content) != record["sha256"]:
        raise Conflict(f"material {material_id} is damaged in the store (size or sha256 differ)")
    out = public(record)
    out["content_b64"] = base64.b64encode(content).decode("ascii")
    return out
