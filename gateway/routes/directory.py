"""Directory routes: tenants, units, users (registry)."""
from gateway.contract import one_of
from gateway.http import idempotency_key, query_args
from gateway.replays import marked
from gateway.responses import PAGING, PAGING_ARGS
from gateway.routing import RouteGroup, route
import services.registry.schemas as registry
from shared.principal import ADMIN, CITY_BUREAU, CITY_CENTER, TENANT


class DirectoryRoutes(RouteGroup):
    @route("GET", "/api/v1/tenants", summary="Tenants you can see (city roles: all)", tags=["directory"],
           response=registry.TenantPageSchema, query={**PAGING, "kind": one_of("tenant kind", registry.TENANT_KINDS)})
    def list_tenants(self, request):
        return self.services.registry.list_tenants(**query_args(request, *PAGING_ARGS, "kind"))

    @route("POST", "/api/v1/tenants", summary="Add a municipal bureau or enterprise group", tags=["directory"],
           roles=(ADMIN, CITY_BUREAU), body=registry.TenantCreateSchema, response=registry.TenantSchema, status=201)
    def create_tenant(self, request):
        return marked(self.services.registry.create_tenant(request.body_json, idempotency_key=idempotency_key(request),
                                                           answer_replayed=True))

    @route("GET", "/api/v1/tenants/<tenant_id>", summary="One tenant", tags=["directory"],
           response=registry.TenantSchema)
    def get_tenant(self, request, tenant_id):
        return self.services.registry.get_tenant(tenant_id)

    @route("GET", "/api/v1/tenants/<tenant_id>/units", summary="A tenant's units and branches", tags=["directory"],
           response=registry.UnitPageSchema, query=PAGING)
    def list_units(self, request, tenant_id):
        return self.services.registry.list_units(tenant_id, **query_args(request, *PAGING_ARGS))

    @route("POST", "/api/v1/tenants/<tenant_id>/units", summary="Register a unit or a branch (分厂/分公司)",
           tags=["directory"], roles=(TENANT, ADMIN, CITY_CENTER), body=registry.UnitSchema,
           response=registry.UnitSchema, status=201)
    def create_unit(self, request, tenant_id):
        return marked(self.services.registry.create_unit(tenant_id, request.body_json,
                                                         idempotency_key=idempotency_key(request), answer_replayed=True))

    @route("GET", "/api/v1/units/<unit_id>", summary="One unit", tags=["directory"], response=registry.UnitSchema)
    def get_unit(self, request, unit_id):
        return self.services.registry.get_unit(unit_id)

    @route("GET", "/api/v1/users", summary="Users you can see", tags=["directory"],
           response=registry.UserPageSchema, query=PAGING)
    def list_users(self, request):
        return self.services.registry.list_users(**query_args(request, *PAGING_ARGS))

    @route("POST", "/api/v1/users", summary="Create a user (admin; a tenant user: unit users of its units)",
           tags=["directory"], roles=(ADMIN, TENANT), body=registry.UserSchema, response=registry.UserSchema,
           status=201)
    def create_user(self, request):
        return marked(self.services.registry.create_user(request.body_json, idempotency_key=idempotency_key(request),
                                                         answer_replayed=True))

