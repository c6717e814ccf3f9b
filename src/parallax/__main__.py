"""``python -m parallax``: the same command line as ``parallax``."""

from parallax.cli.main import main

main()
