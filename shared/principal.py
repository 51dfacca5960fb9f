"""Who is calling: the principal ``{user, role, tenant_id, unit_id}`` and what it may see.

Plain Python (domain modules may import it); the ``Caller`` provider lives in shared/caller.py.

The gateway authenticates and puts the principal into nameko's context data (header
``nameko.principal``, a JSON string); every service reads it back with the ``Caller``
DependencyProvider and scopes all data access by it (shared/storage.py). City roles see
every tenant (租户 = 区人社局 / 市属局、企业集团); a tenant user its tenant; a unit user its unit.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from shared.errors import Forbidden, Unauthenticated

PRINCIPAL_KEY = "principal"
REQUEST_ID_KEY = "request_id"

UNIT = "unit"
TENANT = "tenant"
CITY_CENTER = "city_center"      # 市就业促进中心
CITY_BUREAU = "city_bureau"      # 市人力资源社会保障局 职业能力建设处
FINANCE = "finance"              # 市财政局 (city finance)
ADMIN = "admin"
SYSTEM = "system"                # the services themselves, acting on an event

ROLES = (UNIT, TENANT, CITY_CENTER, CITY_BUREAU, FINANCE, ADMIN)
CITY_ROLES = frozenset({CITY_CENTER, CITY_BUREAU, FINANCE, ADMIN, SYSTEM})


@dataclass(frozen=True)
class Principal:
    user: str
    role: str
    tenant_id: str | None = None
    unit_id: str | None = None

    def __post_init__(self):
        if self.role not in ROLES and self.role != SYSTEM:
            raise Unauthenticated(f"unknown role {self.role!r}")
        if self.role in (UNIT, TENANT) and not self.tenant_id:
            raise Unauthenticated(f"a {self.role} principal needs a tenant_id")
        if self.role == UNIT and not self.unit_id:
            raise Unauthenticated("a unit principal needs a unit_id")

    @classmethod
    def system(cls, reason: str) -> "Principal":
        """The service itself acting city-wide, e.g. the ledger applying ``studio.designated``
        or supervision's timer calling the ledger. ``reason`` is named in every log line."""
        if not reason:
            raise ValueError("a system principal needs a reason")
        return cls(user=f"system:{reason}", role=SYSTEM)

    @property
    def is_system(self) -> bool:
        return self.role == SYSTEM

    @property
    def is_city(self) -> bool:
        return self.role in CITY_ROLES

    def sees_tenant(self, tenant_id: str | None) -> bool:
        return self.is_city or (tenant_id is not None and tenant_id == self.tenant_id)

    def sees_unit(self, tenant_id: str | None, unit_id: str | None) -> bool:
        if not self.sees_tenant(tenant_id):
            return False
        return self.role != UNIT or unit_id == self.unit_id

    def require_role(self, *roles: str) -> "Principal":
        if self.role not in roles and self.role != SYSTEM:
            raise Forbidden(f"role {self.role!r} may not do this; allowed: {', '.join(roles)}")
        return self

    def to_header(self) -> str:
        return json.dumps({"user": self.user, "role": self.role, "tenant_id": self.tenant_id, "unit_id": self.unit_id},
                          ensure_ascii=False)

    @classmethod
    def from_header(cls, value) -> "Principal":
        if isinstance(value, (bytes, str)):
            try:
                value = json.loads(value)
            except ValueError:
                raise Unauthenticated("the principal in the call context is not JSON")
        if not isinstance(value, dict):
            raise Unauthenticated("the call carries no principal")
        try:
            return cls(user=str(value["user"]), role=str(value["role"]),
                       tenant_id=value.get("tenant_id"), unit_id=value.get("unit_id"))
        except KeyError as exc:
            raise Unauthenticated(f"the principal lacks {exc.args[0]}")


def principal_from_context(context_data: dict) -> Principal:
    """The caller named by a worker's context data; refuses a call that names nobody."""
    value = context_data.get(PRINCIPAL_KEY)
    if not value:
        raise Unauthenticated("this call carries no principal: calls reach services through the gateway")
    return Principal.from_header(value)


def __getattr__(name):
    # compatibility: ``from shared.principal import Caller`` loads the nameko provider lazily,
    # so importing the Principal value alone stays plain Python
    if name == "Caller":
        from shared.caller import Caller
        return Caller
    raise AttributeError(name)
