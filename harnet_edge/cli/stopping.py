"""Clean stops for commands that run an event loop (stream, simulate): SIGINT/SIGTERM set an event
instead of raising wherever the loop happens to be, and errors in loop callbacks are one line."""
from __future__ import annotations

import asyncio
import logging
import signal
import sys


def stop_on_signals(stop: asyncio.Event, command: str) -> list[str]:
    """Call inside the running loop. Returns a list that receives the name of the signal that stopped
    it. A second signal is not ignored: the handler is removed after the first, so it interrupts."""
    loop = asyncio.get_running_loop()
    stopped_by: list[str] = []

    def request_stop(sig: signal.Signals) -> None:
        stopped_by.append(sig.name)
        stop.set()
        loop.remove_signal_handler(sig)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, request_stop, sig)
    loop.set_exception_handler(lambda loop, context: callback_failed(context, stop.is_set(), command))
    return stopped_by


def callback_failed(context: dict, stopping: bool, command: str) -> None:
    """An exception in a loop callback (not in our tasks). While stopping, a Bluetooth stack answering
    a request we just cancelled (bumble: InvalidStateError) is expected: logged for debugging only.
    Otherwise one line on stderr, never a traceback dump in the middle of the live view."""
    exc = context.get("exception")
    logging.getLogger("harnet_edge.cli").debug("loop callback failed: %s", context.get("message"), exc_info=exc)
    if stopping and (exc is None or isinstance(exc, asyncio.InvalidStateError)):
        return
    print(f"{command}: warning: {context.get('message', 'callback failed')}"
          + (f": {type(exc).__name__}: {exc}" if exc else ""), file=sys.stderr)


def run_keeping_sigterm(coroutine):
    """asyncio.run, then SIGTERM back to what it was (closing the loop leaves it at the default: kill)."""
    previous = signal.getsignal(signal.SIGTERM)
    try:
        return asyncio.run(coroutine)
    finally:
        signal.signal(signal.SIGTERM, previous)
