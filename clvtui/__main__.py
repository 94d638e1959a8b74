"""``python -m clvtui`` is the same as the ``clvtui`` console script."""

from clvtui.cli import main

if __name__ == "__main__":
    main()
