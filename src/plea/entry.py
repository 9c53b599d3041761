"""The `plea` command's entry point: answers --version before importing anything heavy."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from plea import __version__

        print(f"plea {__version__}")
        return
    from plea.cli import main as cli_main

    cli_main()
