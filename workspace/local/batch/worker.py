"""One batch worker: ``python -m workspace.local.batch.worker CONFIG.json``.

Loads the model (or runs the script's ``init()``) once, then scores the
mini-batches the driver sends, one JSON line each on stdin, answering one JSON
line each. The protocol has a private copy of stdout; the process's own
stdout goes to stderr (the worker's log), so a ``print`` in a user's script
can't break it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    config = json.loads(Path((argv or sys.argv[1:])[0]).read_text())
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
    for line in sys.stdin:
        task = json.loads(line)
        protocol.write(json.dumps(_score(scorer, task, log)) + "\n")
    return 0


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
