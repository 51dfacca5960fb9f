"""reporting-only DependencyProviders (configuration read in ``setup``, a bad value stops start-up
with one line naming the setting). None yet: the clock, the caller, the store, the inbox and
service calls are shared (shared/clock.py, caller.py, storage.py, inbox.py, service_calls.py)."""
