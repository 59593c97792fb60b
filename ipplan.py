"""``ipplan``: the one command line. The assistant's commands at the top (ask, explain, doctor, brief,
settings), ``serve`` for the chat, and ``index …`` and ``eval …`` groups.

``python -m assistant …``, ``python -m index …`` (= ``ipplan index …``), ``python -m eval …``
(= ``ipplan eval …``) and ``python app.py …`` (= ``ipplan serve …``) are aliases of this one CLI.
Answers, tables and JSON go to stdout; log lines (``LEVEL logger: message``) to stderr.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from assistant.cli import commands as assistant_commands
from eval.cli import commands as eval_commands
from index import log
from index.cli import commands as index_commands

app = typer.Typer(
    help="Offline, cited answers about China's 2012 IP Strategy Promotion Plan.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    log_level: Annotated[
        str | None, typer.Option(help="DEBUG, INFO, WARNING or ERROR (default IPPLAN_LOG_LEVEL or INFO)")
    ] = None,
) -> None:
    if log_level:
        log.configure(log_level)


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default IPPLAN_HOST or 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default IPPLAN_PORT or 7860)")] = None,
    llm: Annotated[str | None, typer.Option(help="backend provider/model (default IPPLAN_LLM)")] = None,
) -> int:
    """Start the chat on http://HOST:PORT (what `make run` and `python app.py` start)."""
    import app as chat

    return chat.serve(host, port, llm)


app.add_typer(assistant_commands)  # ask, explain, doctor, brief, settings: at the top level
app.add_typer(index_commands, name="index")
app.add_typer(eval_commands, name="eval")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default: the command line) and return its exit code."""
    log.configure()
    command = typer.main.get_command(app)
    try:
        code = command.main(args=sys.argv[1:] if argv is None else argv, prog_name="ipplan", standalone_mode=False)
    except Exception as exc:
        # typer ships its own click: its UsageError/Abort are matched by what they carry, not by class
        if type(exc).__name__ == "Abort":
            return 130
        if not (hasattr(exc, "show") and hasattr(exc, "exit_code")):
            raise
        exc.show()
        return exc.exit_code
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
