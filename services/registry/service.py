"""registry: tenants, units, users; studio applications and their review (later issues)."""
from services.registry import schemas
from services.registry.dependencies import DirectorySeed, Passwords
from services.registry.domain import directory
from services.registry.storage import INDEXES, OUTBOX_COLLECTIONS, SCOPES, USERS
from shared.inbox import Inbox
from shared.outbox import Outbox
from shared.principal import Caller
from shared.rpc import rpc
from shared.schemas import load
from shared.service import ServiceBase
from shared.storage import Mongo


class RegistryService(ServiceBase):
    name = "registry"

    store = Mongo("registry", SCOPES, INDEXES)
    caller = Caller()
    passwords = Passwords()
    seed = DirectorySeed()
    outbox = Outbox(OUTBOX_COLLECTIONS)
    inbox = Inbox()

    @rpc(public=True)
    def authenticate(self, username, password):
        credentials = load(schemas.LoginSchema(), {"username": username, "password": password})
        return directory.authenticate(self.store.unscoped(USERS), self.passwords, **credentials)

    @rpc
    def list_tenants(self, page=1, page_size=50, kind=None):
        return directory.list_tenants(self.store, page, page_size, kind)

    @rpc
    def get_tenant(self, tenant_id):
        return directory.get_tenant(self.store, tenant_id)

    @rpc
    def create_tenant(self, data):
        return directory.create_tenant(self.store, load(schemas.TenantCreateSchema(), data))

    @rpc
    def list_units(self, tenant_id, page=1, page_size=50):
        return directory.list_units(self.store, tenant_id, page, page_size)

    @rpc
    def get_unit(self, unit_id):
        return directory.get_unit(self.store, unit_id)

    @rpc
    def create_unit(self, tenant_id, data):
        return directory.create_unit(self.store, tenant_id, load(schemas.UnitSchema(), data))

    @rpc
    def list_users(self, page=1, page_size=50):
        return directory.list_users(self.store, page, page_size)

    @rpc
    def create_user(self, data):
        return directory.create_user(self.store, self.passwords, load(schemas.UserSchema(), data))
