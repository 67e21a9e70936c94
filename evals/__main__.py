"""``python -m evals [options]``: the same as ``amlpilot eval``, without the rest of the CLI."""

import sys

import typer

from evals.commands import register


def main() -> None:
    app = typer.Typer(add_completion=False)
    register(app)

    @app.callback()
    def _root() -> None:
        """Scripted prompt evaluations."""

    app(args=["eval", *sys.argv[1:]], prog_name="python -m evals")


if __name__ == "__main__":  # spawned eval workers import this module; they must not run it
    main()
