"""Convention cases: run with the real libraries (run.py), rendered from the record."""
