"""Secrets never reach tool results for the model, events, transcripts, logs or the audit log."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAI
from pydantic import SecretStr
from test_agent_toolkit import ComputeTools, DatastoreTools, collect, make_settings, run

from agent.approval import ScriptedApprover
from agent.events import AssistantText, to_dict
from agent.redact import MASK, Redactor, StreamMask, is_secret_name

ACCOUNT_KEY = "QUtFWS1zdXBlci1zZWNyZXQtdmFsdWU9PQ=="
API_KEY = "sk-test-0123456789abcdefSECRET"


@pytest.fixture
def fake():
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def debug_log(tmp_path):
    """Every log record, from every library, at DEBUG, into a file the test scans."""
    path = tmp_path / "debug.log"
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    root.setLevel(old_level)
    handler.close()


def files_written(root: Path) -> list[Path]:
    """Everything under the test's folder except the workspace's own secret store, which must hold the key."""
    return [p for p in root.rglob("*") if p.is_file() and "secrets" not in p.relative_to(root).parts]


def assert_nowhere(secret: str, root: Path, events: list, extra: list[str] = ()) -> None:
    for path in files_written(root):
        assert secret.encode() not in path.read_bytes(), f"secret found in {path}"
    for event in events:
        assert secret not in str(to_dict(event)), f"secret found in {event}"
    for text in extra:
        assert secret not in text


def test_a_datastore_key_passed_as_an_argument_stays_out_of_everything(client, fake, tmp_path, debug_log):
    fake.script = [
        {"tool_calls": [{
            "name": "datastores-register", "arguments": {"name": "blobs", "account_name": "acct", "account_key": ACCOUNT_KEY},
        }]},
        {"text": f"Registered. (The key was {ACCOUNT_KEY}.)"},
    ]
    from agent.session import Session

    stores = DatastoreTools(client)
    settings = make_settings(client.root, model=fake.model())
    approver = ScriptedApprover(["y"])
    session = Session(settings, client, approver, plugins=[stores, ComputeTools(client)])
    events = run(collect(session, f"register blobs on acct, account_key={ACCOUNT_KEY}"))

    # It really ran with the real key: the workspace's secret store holds it.
    assert stores.executed == [("datastores-register", {"name": "blobs"})]
    assert client.datastores.get("blobs", include_secrets=True).credentials.account_key == ACCOUNT_KEY
    assert approver.requests[0].arguments["account_key"] == MASK
    assert approver.requests[0].plan.desired["account_key"] == MASK
    final = [e for e in events if isinstance(e, AssistantText) and e.final][0]
    assert MASK in final.text
    with sqlite3.connect(client.paths.db) as db:
        audit_text = " ".join(str(v) for row in db.execute("SELECT * FROM audit_log") for v in row)
    assert "blobs" in audit_text
    assert debug_log.read_text() and "datastores-register" in debug_log.read_text()
    assert_nowhere(ACCOUNT_KEY, tmp_path, events, [*fake.all_tool_results(), audit_text])


def test_the_model_api_key_is_used_but_never_shown(client, fake, tmp_path, debug_log):
    fake.script = [{"text": f"Your key is {API_KEY}, keep it safe."}]
    from agent.session import Session

    settings = make_settings(client.root, model=fake.model(), openai_api_key=SecretStr(API_KEY))
    session = Session(settings, client, ScriptedApprover(), plugins=[ComputeTools(client)])
    events = run(collect(session, "what is my key?"))

    assert fake.headers[0]["authorization"] == f"Bearer {API_KEY}"  # the provider really sent it
    deltas = "".join(e.text for e in events if isinstance(e, AssistantText) and not e.final)
    assert deltas == f"Your key is {MASK}, keep it safe."
    assert_nowhere(API_KEY, tmp_path, events)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("account_key", True), ("sas_token", True), ("client_secret", True), ("api_key", True), ("key", True),
        ("primary_key", True), ("secondary_key", True), ("token", True), ("password", True), ("authorization", True),
        ("apiKey", True), ("connection_string", True), ("certificate", True),
        ("max_tokens", False), ("name", False), ("key_vault", False), ("monkey", False), ("token_count", False),
        ("description", False), (3, False),
    ],
)
def test_secret_field_names(name, secret):
    assert is_secret_name(name) is secret


def test_redaction_masks_fields_and_known_values_in_nested_data():
    redactor = Redactor([API_KEY])
    data = {"credentials": {"account_key": "abc", "sas_token": None}, "note": f"use {API_KEY}", "items": [{"password": "p"}]}
    assert redactor(data) == {
        "credentials": {"account_key": MASK, "sas_token": None}, "note": f"use {MASK}", "items": [{"password": MASK}],
    }


def test_learned_values_are_masked_in_free_text_later():
    redactor = Redactor()
    redactor.learn({"datastore": {"account_key": ACCOUNT_KEY}})
    assert redactor.text(f"failed to reach blob with {ACCOUNT_KEY}") == f"failed to reach blob with {MASK}"


def test_short_values_are_not_registered():
    redactor = Redactor(["ab"])
    assert redactor.text("absolutely") == "absolutely"


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 64])
def test_stream_mask_never_shows_part_of_a_secret(size):
    redactor = Redactor([API_KEY])
    text = f"start {API_KEY} middle {API_KEY[:6]} end {API_KEY}"
    mask = StreamMask(redactor)
    shown = [mask.feed(text[i : i + size]) for i in range(0, len(text), size)] + [mask.flush()]
    assert "".join(shown) == f"start {MASK} middle {API_KEY[:6]} end {MASK}"
    assert all(API_KEY[:10] not in piece for piece in shown)
