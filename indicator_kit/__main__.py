"""`python -m indicator_kit` runs the `indicator-kit` command (e.g. `py -m indicator_kit` on Windows)."""

from indicator_kit.cli import run

if __name__ == "__main__":
    run()
