"""`python -m bench [--quick] [--only NAME ...]`."""

from bench.cli import main

main()
