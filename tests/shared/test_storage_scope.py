"""The data-access layer adds the tenant (and unit) filter itself (foundation: tenant scope)."""
import mongomock_ng
import pytest

from shared.errors import Conflict, NotFound, Unauthenticated
from shared.principal import Principal
from shared.storage import Index, Scope, Store, ensure_indexes, page_args

SCOPES = {"units": Scope("tenant_id", "_id"), "things": Scope("tenant_id", "unit_id")}


@pytest.fixture
def db():
    db = mongomock_ng.MongoClient(tz_aware=True).test
    ensure_indexes(db, [Index("things", [("code", 1)], unique=True)])
    db.things.insert_many([
        {"_id": "a1", "tenant_id": "dongcheng", "unit_id": "u-a", "code": "1"},
        {"_id": "a2", "tenant_id": "dongcheng", "unit_id": "u-a2", "code": "2"},
        {"_id": "b1", "tenant_id": "haidian", "unit_id": "u-b", "code": "3"},
    ])
    return db


def store(db, role, tenant_id=None, unit_id=None):
    p = Principal(user="t", role=role, tenant_id=tenant_id, unit_id=unit_id)
    return Store(db, SCOPES, lambda: p)


def test_tenant_user_reads_only_its_tenant(db):
    things = store(db, "tenant", "dongcheng").scoped("things")
    assert {d["_id"] for d in things.find()} == {"a1", "a2"}
    assert things.count({"code": "3"}) == 0
    with pytest.raises(NotFound):
        things.get("b1")


def test_unit_user_reads_only_its_unit(db):
    things = store(db, "unit", "dongcheng", "u-a").scoped("things")
    assert [d["_id"] for d in things.find()] == ["a1"]


def test_city_roles_read_everything(db):
    for role in ("city_center", "city_bureau", "finance", "admin"):
        assert store(db, role).scoped("things").count() == 3


def test_writing_into_another_tenant_is_not_found_and_stores_nothing(db):
    things = store(db, "tenant", "dongcheng").scoped("things")
    with pytest.raises(NotFound):
        things.insert({"_id": "x", "tenant_id": "haidian", "unit_id": "u-b", "code": "9"})
    assert db.things.count_documents({"_id": "x"}) == 0
    with pytest.raises(NotFound):
        things.update("b1", {"$set": {"code": "hijacked"}})
    assert db.things.find_one({"_id": "b1"})["code"] == "3"


def test_unique_index_clash_is_conflict(db):
    with pytest.raises(Conflict):
        store(db, "admin").scoped("things").insert({"_id": "y", "tenant_id": "haidian", "unit_id": "u-b", "code": "1"})


def test_a_store_without_principal_refuses_to_read(db):
    from shared.principal import principal_from_context
    s = Store(db, SCOPES, lambda: principal_from_context({}))
    with pytest.raises(Unauthenticated):
        s.scoped("things").find()


def test_undeclared_collection_cannot_be_scoped(db):
    with pytest.raises(KeyError):
        store(db, "admin").scoped("secrets")


def test_pages_are_bounded():
    assert page_args("2", "500") == (2, 500)
    for bad in ((0, 10), (1, 501), ("x", 1)):
        with pytest.raises(Exception):
            page_args(*bad)


def test_system_store_sees_all(db):
    assert store(db, "unit", "dongcheng", "u-a").as_system("test").scoped("things").count() == 3
