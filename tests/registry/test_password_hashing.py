"""Password hashing (issue 14): OWASP's argon2id setting, at most a CPU's worth at once off the hub,
and a hash made with older parameters is brought up to date at the next successful login."""
import mongomock_ng
from argon2 import PasswordHasher

from services.registry.dependencies import HASH_PARAMETERS, OffHubPasswordHasher
from services.registry.storage.directory import authenticate


def test_an_old_hash_verifies_and_is_rehashed_at_login():
    users = mongomock_ng.MongoClient()["t"]["users"]
    old = PasswordHasher(time_cost=1, memory_cost=16, parallelism=2).hash("demo-pass")
    users.insert_one({"_id": "u", "role": "admin", "password_hash": old})
    hasher = OffHubPasswordHasher(**HASH_PARAMETERS, concurrency=1)
    assert authenticate(users, hasher, "u", "demo-pass")["user"] == "u"
    new = users.find_one({"_id": "u"})["password_hash"]
    print(f"injected: a hash with t=1 m=16 p=2; counted: after login {new.split('$')[3]}")
    assert new != old and not hasher.check_needs_rehash(new) and "m=19456,t=2,p=1" in new
    assert authenticate(users, hasher, "u", "demo-pass")["user"] == "u"
    assert users.find_one({"_id": "u"})["password_hash"] == new          # up to date: not rewritten


def test_hashing_holds_at_most_its_slots():
    hasher = OffHubPasswordHasher(time_cost=1, memory_cost=8, parallelism=1, concurrency=2)
    assert hasher.slots.balance == 2
    assert hasher.verify(hasher.hash("x"), "x") and hasher.slots.balance == 2
