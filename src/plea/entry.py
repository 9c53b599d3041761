"""The `plea` command's entry point: answers --version before importing anything heavy."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from plea import __version__

        try:
            print(f"plea {__version__}", flush=True)
        except BrokenPipeError:
            quiet_stdout()
        return
    from plea.cli import main as cli_main

    cli_main()


def quiet_stdout() -> None:
    """Point stdout at devnull once its pipe has closed, so that nothing more (not even Python's
    flush at exit) fails on it; see "Note on SIGPIPE" in the Python docs of the signal module."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test's captured stdout)
        pass
    finally:
        os.close(devnull)
