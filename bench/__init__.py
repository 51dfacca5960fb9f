"""Benchmarks: each module has ``main()`` and prints its time next to a baseline measured in
the same run, with the ratio. ``make bench`` (``python -m bench``) runs them all;
``python -m bench events`` runs one."""
