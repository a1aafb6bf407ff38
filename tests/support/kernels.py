"""Starting a registered kernel through jupyter_client and running code in it."""

from __future__ import annotations

from jupyter_client.manager import start_new_kernel


def run_in_kernel(name: str, code: str) -> str:
    """Start the kernelspec `name`, run `code` in it, and return what it printed."""
    manager, client = start_new_kernel(kernel_name=name, startup_timeout=120)
    try:
        out = []
        reply = client.execute_interactive(
            code,
            timeout=60,
            output_hook=lambda msg: (
                out.append(msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None
            ),
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(out)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
