"""amlpilot's terminal UI (Textual): the chat, the approvals and the workspace at a glance.

Nothing is imported here, so ``import tui`` costs nothing; ``tui.app`` holds
the app, ``create_app`` (the factory the CLI and the tests share) and ``run_tui``.
"""
