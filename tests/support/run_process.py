"""``make run`` in tests: the run and the vhost helpers live in bench/ (bench imports no test
module; tests may use its helpers)."""
from bench._broker import Vhost
from bench._run import Run

__all__ = ["Run", "Vhost"]
