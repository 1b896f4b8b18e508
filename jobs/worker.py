"""`flask worker`: an RQ worker with its scheduler, plus the dispatcher beside it."""

from __future__ import annotations

import logging
import multiprocessing
import os
from multiprocessing.process import BaseProcess
from typing import Any

from flask import Flask
from rq import Worker

from app.extensions import db
from app.queue import queue, redis_connection
from jobs.context import set_app
from jobs.dispatcher import run_forever


class AppWorker(Worker):
    """Forks per job like RQ's Worker; the child drops inherited database connections."""

    def main_work_horse(self, *args: Any, **kwargs: Any) -> None:
        app = self._postventa_app  # type: ignore[attr-defined]
        with app.app_context():
            db.engine.dispose(close=False)
        super().main_work_horse(*args, **kwargs)


def start_dispatcher(app: Flask) -> BaseProcess:
    """Forked before this process opens a database connection; redis-py reconnects after a fork."""
    ctx = multiprocessing.get_context("fork")
    proc = ctx.Process(target=run_forever, args=(app, os.getpid()), name="postventa-dispatcher", daemon=True)
    proc.start()
    return proc


def run_worker(app: Flask, burst: bool = False, with_scheduler: bool = True, dispatcher: bool = True) -> bool:
    set_app(app)
    redis_connection(app)  # the embedded server, if any, is started once here, before the fork
    proc = start_dispatcher(app) if dispatcher else None
    try:
        with app.app_context():
            worker = AppWorker([queue(app)], connection=redis_connection(app))
            worker._postventa_app = app  # type: ignore[attr-defined]
            logging.basicConfig(level=logging.INFO)
            return bool(worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="INFO"))
    finally:
        if proc is not None and proc.is_alive():
            proc.terminate()
            proc.join(5)
