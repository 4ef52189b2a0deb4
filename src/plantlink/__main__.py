"""``python -m plantlink`` = the ``plantlink`` command."""

from plantlink.cli import main

main()
