"""Values computed in a second, forked process while the caller goes on: the two lanes of an analysis.

``citegraph analyse`` computes the topic model and the citation-graph measures
beside the co-citation and coupling links
(:mod:`citegraph.analysis.pipeline`), and :func:`citegraph.analysis.snapshot.analyse_dataset`
clusters a snapshot's links beside its SQL steps. Both hand a generator to
:class:`Beside`, which runs it in a child process and gives its values back in
order: forked for ``analyse`` (the child shares the graphs in memory), spawned
for ``analyse_dataset`` (handed the links as files; a forked child would keep
alive the database buffers its parent frees).

Why a fork and not :mod:`concurrent.futures`: the child must inherit the
graphs and link arrays already in memory (10^8 links: gigabytes) without
pickling them; only the results travel back. Why not threads: igraph and most
of networkx hold Python's lock, so two threads run one at a time (measured in
``bench/RESULTS.md``). Fork is Linux-only here (:func:`can_fork`; macOS's
fork is unsafe with some system libraries): elsewhere, the values are computed
in this process, the same values at the sum of the times.

Examples
--------
>>> def squares(n):
...     for i in range(n):
...         yield i * i
>>> lane = Beside(squares, (3,), fork=False)
>>> [lane.next() for _ in range(3)]
[0, 1, 4]
>>> lane.close()
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any

from citegraph.errors import CitegraphError

__all__ = ["Beside", "can_fork", "usable_cores"]

log = logging.getLogger(__name__)


def can_fork() -> bool:
    """Whether a second lane may be a forked process here (Linux with the ``fork`` start method)."""
    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the system tells it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _child(conn: Any, func: Callable[..., Iterator[Any]], args: tuple[Any, ...]) -> None:
    """In the forked process: each value ``func(*args)`` yields sent as ``("ok", value)``; an exception as
    ``("error", exception)``, and nothing after it. Ctrl-C is left to the parent, which ends this process
    (no second traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for value in func(*args):
            conn.send(("ok", value))
    except Exception as exc:  # the parent raises it (or, if it cannot be sent, computes again and meets it)
        try:
            conn.send(("error", exc))
        except Exception as unsent:  # cannot be pickled: the parent finds no value and computes it
            log.debug("the second process could not send its error: %s", unsent)
    finally:
        conn.close()


class Beside:
    """The values a generator ``func(*args)`` yields, computed in a forked process while the caller goes on;
    :meth:`next` gives the next one.

    The child inherits the arguments (nothing is copied to start it: fork shares the memory) and sends only
    the values back, pickled. Without a child (``fork`` False), :meth:`next` computes the next value then,
    in this process; so it does when the child ends without it (killed, or a value that cannot be pickled),
    from the start again, skipping the values already received: the values are the same either way, only
    the time differs. :meth:`close` ends the child (when the caller stops early, too). ``name`` names the
    child process (``ps``, logs).

    ``start="spawn"`` starts the child afresh instead (``func`` and ``args`` pickled, so they must be small:
    paths of files rather than arrays). A forked child keeps every page of the caller's heap it was born
    with, also those the caller frees later (a database's buffers), so a long child beside a caller that
    frees and allocates gigabytes is better spawned.
    """

    def __init__(self, func: Callable[..., Iterator[Any]], args: tuple[Any, ...], *, fork: bool,
                 name: str = "citegraph-analyse-beside", start: str = "fork") -> None:
        if start not in ("fork", "spawn"):
            raise ValueError(f"start {start!r} is not fork or spawn")
        self._func, self._args = func, args
        self._received = 0
        self._local: Iterator[Any] | None = None if fork else func(*args)
        self._process: Any = None
        self._conn: Any = None
        if fork:
            ctx: Any = multiprocessing.get_context(start)  # a literal method gives a typed context; a str does not
            receive, send = ctx.Pipe(duplex=False)
            self._process = ctx.Process(target=_child, args=(send, func, args), daemon=True, name=name)
            self._process.start()
            send.close()
            self._conn = receive

    def next(self) -> Any:
        if self._local is None:
            try:
                status, value = self._conn.recv()
            except Exception as exc:  # no value: the child died, or its value did not unpickle
                status, value = "lost", exc
            if status == "ok":
                self._received += 1
                return value
            self.close(early=True)
            if status == "error" and isinstance(value, CitegraphError):
                raise value
            log.warning("the second process ended without a result (%s; exit code %s): computing it here",
                        value, self._process.exitcode)
            self._local = self._func(*self._args)
            for _ in range(self._received):  # the values received already, again
                next(self._local)
        return next(self._local)

    def close(self, *, early: bool = False) -> None:
        """Wait for the child to end (it has sent every value), or with ``early`` (the caller stopped before
        taking them all) end it."""
        if self._process is None:
            return
        self._conn.close()
        if early and self._process.is_alive():
            self._process.terminate()
        self._process.join()
