"""One deployment instance: ``python -m workspace.local.serving.worker --fd N --plan JSON``.

It loads the model once (an MLflow model, or a score.py's ``init()`` with
``AZUREML_MODEL_DIR`` set as on Azure), says ready, then answers frames from
the gateway on the inherited socket. Every frame that arrived while it was
busy is read at once and, for a numeric scikit-learn MLflow model, scored in
one ``predict`` call: concurrent requests batch themselves with no added wait.
It exits when the gateway closes the socket, so it never outlives the gateway.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import traceback
from typing import Any

from workspace.local.serving import protocol
from workspace.local.serving.bodies import BodyError, extract_rows, parse_json, signature_columns, to_matrix


def _error(status: int, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"error": message}).encode()


def _jsonable(result: Any) -> Any:
    if hasattr(result, "to_dict") and hasattr(result, "columns"):  # a DataFrame
        return result.to_dict(orient="records")
    if hasattr(result, "tolist"):
        return result.tolist()
    return result


class NumericSklearnScorer:
    """The fast path: JSON straight to a numpy matrix, one predict for the whole batch."""

    def __init__(self, model_dir: str, signature: list[tuple[str, str]]) -> None:
        import warnings

        import mlflow.sklearn

        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        self.signature = signature
        self.model = mlflow.sklearn.load_model(model_dir)

    def score(self, bodies: list[bytes]) -> list[tuple[int, bytes]]:
        import numpy as np

        outcomes: list[tuple[int, bytes] | None] = [None] * len(bodies)
        parsed = []
        for i, body in enumerate(bodies):
            try:
                columns, rows, style = extract_rows(parse_json(body))
                parsed.append((i, to_matrix(columns, rows, self.signature), style))
            except BodyError as exc:
                outcomes[i] = _error(400, str(exc))
        if parsed:
            matrix = parsed[0][1] if len(parsed) == 1 else np.vstack([m for _, m, _ in parsed])
            try:
                predictions = self.model.predict(matrix)
            except Exception:  # one bad request must not fail its batch-mates: score them one by one
                predictions = None
            start = 0
            for i, part, style in parsed:
                n = len(part)
                outcomes[i] = self._answer(predictions[start:start + n] if predictions is not None else None, part, style)
                start += n
        return outcomes  # type: ignore[return-value]

    def _answer(self, predictions, part, style: str) -> tuple[int, bytes]:
        if predictions is None:
            try:
                predictions = self.model.predict(part)
            except Exception as exc:
                return _error(400, f"the model could not score this input: {str(exc).splitlines()[0]}")
        values = predictions.tolist()
        return 200, json.dumps(values if style == "azure" else {"predictions": values}).encode()


class PyfuncScorer:
    """Any other MLflow model: a DataFrame through ``pyfunc.predict``, which enforces the signature."""

    def __init__(self, model_dir: str) -> None:
        import mlflow.pyfunc

        self.model = mlflow.pyfunc.load_model(model_dir)

    def score(self, bodies: list[bytes]) -> list[tuple[int, bytes]]:
        return [self._one(body) for body in bodies]

    def _one(self, body: bytes) -> tuple[int, bytes]:
        from mlflow.exceptions import MlflowException
        from mlflow.pyfunc.scoring_server import infer_and_parse_data

        try:
            payload = parse_json(body)
            extract_rows(payload)  # the same shape checks and messages as the fast path
            style = "azure" if "input_data" in payload else "mlflow"
            if style == "azure":  # Azure's body is MLflow's split (or tensor) body under another name
                inner = payload["input_data"]
                payload = {"dataframe_split": inner} if isinstance(inner, dict) else {"instances": inner}
            data = infer_and_parse_data({k: v for k, v in payload.items() if k != "params"},
                                        self.model.metadata.get_input_schema())
            result = _jsonable(self.model.predict(data))
        except BodyError as exc:
            return _error(400, str(exc))
        except (MlflowException, ValueError, TypeError, KeyError) as exc:
            return _error(400, _one_line(exc))
        return 200, json.dumps(result if style == "azure" else {"predictions": result}, default=str).encode()


def _one_line(exc: Exception) -> str:
    """MLflow's schema errors print the whole frame first; the reason comes after 'Error: '."""
    text = str(getattr(exc, "message", None) or exc).strip()
    if "Error: " in text:
        text = text.rsplit("Error: ", 1)[1]
    return text.splitlines()[0] if text else type(exc).__name__


class ScriptScorer:
    """A score.py: ``init()`` once, then ``run(raw_body)`` per request, as Azure's inference server does."""

    def __init__(self, code_dir: str, script: str) -> None:
        import importlib.util
        from pathlib import Path

        sys.path.insert(0, code_dir)
        spec = importlib.util.spec_from_file_location("score", Path(code_dir) / script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name in ("init", "run"):
            if not callable(getattr(module, name, None)):
                raise RuntimeError(f"code_configuration.scoring_script: {script} has no {name}() function")
        module.init()
        self.run = module.run

    def score(self, bodies: list[bytes]) -> list[tuple[int, bytes]]:
        return [self._one(body) for body in bodies]

    def _one(self, body: bytes) -> tuple[int, bytes]:
        try:
            parse_json(body)
        except BodyError as exc:
            return _error(400, str(exc))
        try:
            result = self.run(body.decode())
        except Exception as exc:
            traceback.print_exc()  # to the deployment log; the caller gets one line
            return _error(500, f"run() raised {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": "))
        try:
            return 200, json.dumps(_jsonable(result)).encode()
        except (TypeError, ValueError) as exc:
            return _error(500, f"run() returned something that is not JSON: {exc}")


def load_scorer(plan: dict) -> Any:
    if plan["kind"] == "script":
        return ScriptScorer(plan["code_dir"], plan["scoring_script"])
    signature = signature_columns(plan["model_dir"])
    if signature and plan.get("sklearn") and plan.get("predict_fn", "predict") == "predict":
        return NumericSklearnScorer(plan["model_dir"], signature)
    return PyfuncScorer(plan["model_dir"])


def serve(sock: socket.socket, scorer: Any) -> None:
    buffer = bytearray()
    while True:
        data = sock.recv(1 << 20)
        if not data:
            return  # the gateway closed the socket: it is stopping or gone
        buffer += data
        sock.setblocking(False)
        try:
            while chunk := sock.recv(1 << 20):  # everything that queued up while we were busy
                buffer += chunk
        except BlockingIOError:
            pass
        finally:
            sock.setblocking(True)
        frames = protocol.split_requests(buffer)
        out = [protocol.response_frame(i, 200, b"{}") for i, kind, _ in frames if kind == protocol.KIND_PING]
        scored = [(i, body) for i, kind, body in frames if kind == protocol.KIND_SCORE]
        if scored:
            results = scorer.score([body for _, body in scored])
            out += [protocol.response_frame(i, status, payload) for (i, _), (status, payload) in zip(scored, results)]
        sock.sendall(b"".join(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workspace.local.serving.worker")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--plan", required=True, help="the launch plan as JSON")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)
    plan = json.loads(args.plan)
    try:
        scorer = load_scorer(plan)
    except BaseException as exc:
        traceback.print_exc()
        reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        sock.sendall(protocol.response_frame(protocol.READY_ID, 500, reason.encode()))
        return 1
    print(f"instance ready: {plan['deployment']} ({type(scorer).__name__})", flush=True)
    sock.sendall(protocol.response_frame(protocol.READY_ID, 200, b"ready"))
    serve(sock, scorer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
