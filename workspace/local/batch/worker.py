"""One batch worker: ``python -m workspace.local.batch.worker CONFIG.json [--host]``.

Loads the model (or runs the script's ``init()``) once, then scores the
mini-batches the driver sends, one JSON line each on stdin, answering one JSON
line each. The protocol has a private copy of stdout; the process's own
stdout goes to stderr (the worker's log), so a ``print`` in a user's script
can't break it.

With ``--host`` the process loads the model and then, for each request on
stdin (two FIFO paths and a log file), forks a worker that serves the same
protocol over the FIFOs, and answers with its pid (``pool.ForkLauncher``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    config = json.loads(Path(args[0]).read_text())
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(stream=sys.stderr, level=config["logging_level"].upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("amlpilot.batch.worker")
    try:
        scorer = _scorer(config)
    except BaseException as exc:  # init() failing ends the job: the driver reports it
        from workspace.local.batch.scoring import one_line

        log.exception("init failed")
        protocol.write(json.dumps({"init_error": one_line(exc)}) + "\n")
        return 1
    protocol.write(json.dumps({"ready": True}) + "\n")
    if "--host" in args:
        return _host(scorer, protocol, log)
    _serve(scorer, sys.stdin, protocol, log)
    return 0


def _serve(scorer, tasks, answers, log: logging.Logger) -> None:
    for line in tasks:
        answers.write(json.dumps(_score(scorer, json.loads(line), log)) + "\n")


def _host(scorer, protocol, log: logging.Logger) -> int:
    import signal

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps forked workers: no zombies
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            os._exit(_forked(scorer, request, protocol, log))
        protocol.write(json.dumps({"pid": pid}) + "\n")
    return 0


def _forked(scorer, request: dict, protocol, log: logging.Logger) -> int:
    """A forked worker: its own log, the host's stdin and protocol closed, the FIFOs as its protocol."""
    try:
        protocol.close()
        os.close(0)
        log_fd = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        with open(request["answers"], "w", buffering=1) as answers, open(request["tasks"]) as tasks:
            answers.write(json.dumps({"ready": True}) + "\n")
            _serve(scorer, tasks, answers, log)
        return 0
    except BaseException:
        log.exception("forked worker failed")
        return 1


def _scorer(config: dict):
    from workspace.local.batch.scoring import MlflowScorer, ScriptScorer

    if config.get("scoring_script"):
        return ScriptScorer(config["code_dir"], config["scoring_script"])
    return MlflowScorer(config["model_path"])


def _score(scorer, task: dict, log: logging.Logger) -> dict:
    from workspace.local.batch.scoring import one_line

    part = Path(task["part"])
    tmp = part.with_name(part.name + ".tmp")
    log.debug("mini-batch %s: %d file(s)", task["index"], len(task["files"]))
    try:
        rows, failed = scorer.score(task["files"], tmp)
    except Exception as exc:
        log.exception("mini-batch %s failed", task["index"])
        tmp.unlink(missing_ok=True)
        return {"index": task["index"], "ok": False, "error": one_line(exc)}
    if tmp.exists():
        os.replace(tmp, part)
    return {"index": task["index"], "ok": True, "rows": rows, "failed": failed}


if __name__ == "__main__":
    sys.exit(main())
