"""Registry-only DependencyProviders."""
import logging
import os

import eventlet
import eventlet.semaphore
from argon2 import PasswordHasher
from eventlet import tpool
from nameko.extensions import DependencyProvider

from services.registry.demo import seed_demo
from services.registry.storage.directory import upsert_reference, upsert_user
from services.registry.domain.reference import reference_tenants
from shared.clock import Clock as SharedClock, Today
from shared.principal import ADMIN
from shared.storage import container_db

log = logging.getLogger("skillmaster.registry")


# OWASP's argon2id setting (Password Storage Cheat Sheet: m = 19 MiB, t = 2, p = 1): ~30 ms of CPU
# a login here, against argon2-cffi's default (64 MiB, t = 3, p = 4) at ~225 ms, which let 20
# concurrent logins take 10-14 s on this 2-core machine. Hashes made with other parameters still
# verify (they carry their own) and are rehashed at the next successful login.
HASH_PARAMETERS = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}


class OffHubPasswordHasher(PasswordHasher):
    """argon2id whose hashing and checking run in eventlet's thread pool (the C code releases
    the GIL), at most ``concurrency`` at once (the CPU count): more would only share the cores,
    making every login wait as long as the slowest, and hold 19 MiB each meanwhile."""

    def __init__(self, *args, concurrency: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.slots = eventlet.semaphore.Semaphore(concurrency or os.cpu_count() or 2)

    def hash(self, password, *args, **kwargs):
        with self.slots:
            return tpool.execute(super().hash, password, *args, **kwargs)

    def verify(self, hash, password):
        with self.slots:
            return tpool.execute(super().verify, hash, password)


class Passwords(DependencyProvider):
    """The password hasher (argon2id). ``PASSWORD_HASH_FAST`` lowers its cost for tests only."""

    def setup(self):
        if self.container.config.get("PASSWORD_HASH_FAST"):
            self.hasher = OffHubPasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        else:
            self.hasher = OffHubPasswordHasher(**HASH_PARAMETERS)

    def get_dependency(self, worker_ctx):
        return self.hasher


class DirectorySeed(DependencyProvider):
    """At start: the reference tenants always; demo units and users in DEMO_MODE; and the
    first admin from ``BOOTSTRAP_ADMIN_PASSWORD`` if set. All idempotent upserts.

    Done in ``setup()``, which every extension finishes before any entry point starts: the
    service answers ``ping`` (and ``/readyz`` says ready) only once the demo users exist."""

    def setup(self):
        config = self.container.config
        db = container_db(self.container)
        providers = [d for d in self.container.dependencies if isinstance(d, Passwords)]
        waited = 0.0
        while db is None or not all(hasattr(p, "hasher") for p in providers):
            if waited > 60:
                raise RuntimeError("the store or the password hasher did not set up in 60 s")
            eventlet.sleep(0.05)  # the store's and the hasher's setup run alongside this one
            waited += 0.05
            db = container_db(self.container)
        hasher = providers[0].hasher
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
