"""Registry-only DependencyProviders."""
import logging
from argon2 import PasswordHasher
from nameko.extensions import DependencyProvider

from services.registry.demo import seed_demo
from services.registry.storage.directory import upsert_reference, upsert_user
from services.registry.domain.reference import reference_tenants
from shared.clock import Clock as SharedClock, Today
from shared.principal import ADMIN
from shared.storage import container_db

log = logging.getLogger("skillmaster.registry")


class Passwords(DependencyProvider):
    """The password hasher (argon2id). ``PASSWORD_HASH_FAST`` lowers its cost for tests only."""

    def setup(self):
        if self.container.config.get("PASSWORD_HASH_FAST"):
            self.hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        else:
            self.hasher = PasswordHasher()

    def get_dependency(self, worker_ctx):
        return self.hasher


class DirectorySeed(DependencyProvider):
    """At start: the reference tenants always; demo units and users in DEMO_MODE; and the
    first admin from ``BOOTSTRAP_ADMIN_PASSWORD`` if set. All idempotent upserts."""

    def start(self):
        config = self.container.config
        db = container_db(self.container)
        hasher = next(d for d in self.container.dependencies if isinstance(d, Passwords)).hasher
        upsert_reference(db, reference_tenants())
        if config.get("DEMO_MODE"):
            seed_demo(db, hasher)
            log.warning("DEMO_MODE: demo users seeded (their shared password is in the README; no password is logged)")
        if config.get("BOOTSTRAP_ADMIN_PASSWORD"):
            upsert_user(db, hasher, "admin", config["BOOTSTRAP_ADMIN_PASSWORD"], ADMIN,
                        display_name="Administrator")

    def get_dependency(self, worker_ctx):
        return None


# The clock is shared (shared/clock.py); these names stay for the tests that use them.
Clock, Today = SharedClock, Today
