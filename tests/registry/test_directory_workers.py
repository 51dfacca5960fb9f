"""Registry directory entry points with nameko's worker_factory (no broker)."""
import pytest
from argon2 import PasswordHasher
from nameko.testing.services import worker_factory

from services.registry.contract import check_digit
from services.registry.storage.directory import upsert_reference
from services.registry.domain.reference import reference_tenants
from services.registry.service import RegistryService
from services.registry.storage import INDEXES, SCOPES
from shared.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from shared.principal import Principal
from shared.storage import Store
from tests.support.harness import embedded_db

HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def db():
    db = embedded_db("registry", INDEXES)
    upsert_reference(db, reference_tenants())
    return db


def service_as(db, role, tenant_id=None, unit_id=None):
    p = Principal(user=f"u-{role}", role=role, tenant_id=tenant_id, unit_id=unit_id)
    return worker_factory(RegistryService, store=Store(db, SCOPES, lambda: p), passwords=HASHER)


def code(prefix):
    return prefix + check_digit(prefix)


def test_seventeen_reference_tenants(db):
    assert service_as(db, "admin").list_tenants(page_size=100)["total"] == 17


def test_tenant_creates_unit_and_other_tenant_cannot_see_it(db):
    unit = service_as(db, "tenant", "dongcheng").create_unit("dongcheng", {"name": "甲", "credit_code": code("91110101MA01CCCC0")})
    with pytest.raises(NotFound):
        service_as(db, "tenant", "haidian").get_unit(unit["id"])
    assert service_as(db, "city_center").get_unit(unit["id"])["name"] == "甲"


def test_unit_user_cannot_create_tenant_or_unit(db):
    svc = service_as(db, "unit", "dongcheng", "u1")
    with pytest.raises(Forbidden):
        svc.create_tenant({"id": "grp", "name": "集团", "kind": "group"})
    with pytest.raises(Forbidden):
        svc.create_unit("dongcheng", {"name": "乙", "credit_code": code("91110101MA01DDDD0")})


def test_bad_credit_code_names_the_field(db):
    with pytest.raises(ValidationFailed) as err:
        service_as(db, "admin").create_unit("dongcheng", {"name": "丙", "credit_code": "91110101MA01DDDD0X"})
    assert "credit_code" in err.value.errors
    assert db.units.count_documents({}) == 0


def test_authenticate(db):
    admin = service_as(db, "admin")
    admin.create_user({"username": "hd-officer", "password": "s3cret-pass", "role": "tenant", "tenant_id": "haidian"})
    assert admin.authenticate("hd-officer", "s3cret-pass")["tenant_id"] == "haidian"
    with pytest.raises(Unauthenticated):
        admin.authenticate("hd-officer", "wrong-pass")
