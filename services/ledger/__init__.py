"""ledger: one dedicated fund account per studio (专门账目), R-20 … R-25 (see README.md)."""
