"""assessment: the pure rules (plain Python: no nameko, kombu, eventlet or pymongo; tests/shared/test_domain_purity.py)."""
