"""``python -m lithium_abm`` runs the same command line as the ``lithium-abm`` script."""

from lithium_abm.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
