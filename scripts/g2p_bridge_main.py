"""Launcher of OpenG2P's G2P Bridge (PyPI, 1.1.0) for the local stack.

Runs in G2P Bridge's own virtualenv (``scripts/requirements-bridge.txt``);
``scripts/g2p_bridge.py`` starts one process per role with the settings in
its environment (and in ``./.env``, see there why). The wheels ship no
entry points, so this file is what their deployment's ``main.py`` files are:

``migrate``  create G2P Bridge's tables. The API's own ``migrate`` creates
             three of them (envelopes, envelope statuses, statements) and not
             the disbursement, batch control, mapper resolution and benefit
             program tables the API and the workers write to; every model of
             ``openg2p_g2p_bridge_models`` is created here (``create_all``
             skips what exists, so running it again is harmless).
``api``      serve the HTTP API.
``worker``   the celery workers: the mapper resolution (resolve at SPAR,
             deconstruct, store) and the bank tasks, on the queue the beat
             producers send to.
``beat``     celery beat and a worker running the beat producers: they find
             pending batches and hand each to ``worker``. Nothing else
             triggers the mapper resolution.

Each package's settings module must be imported before anything else of
``openg2p_fastapi_common``: the first settings object made is the one the
common library keeps.
"""

import asyncio
import sys

WORKER_QUEUE = "g2p_bridge_celery_worker_tasks"


def api(command):
    from openg2p_g2p_bridge_api.app import Initializer  # isort: skip
    from openg2p_fastapi_common.ping import PingInitializer

    initializer = Initializer()
    PingInitializer()
    if command == "migrate":
        asyncio.run(_create_every_table())
    else:
        initializer.run_server(None)


async def _create_every_table():
    import openg2p_g2p_bridge_models.models  # noqa: F401 - registers the tables
    from openg2p_fastapi_common.context import dbengine
    from openg2p_fastapi_common.models import BaseORMModel

    async with dbengine.get().begin() as connection:
        await connection.run_sync(BaseORMModel.metadata.create_all)


def worker():
    from openg2p_g2p_bridge_celery_workers.app import Initializer, celery_app

    Initializer()
    celery_app.worker_main(
        ["worker", f"--queues={WORKER_QUEUE}", "--pool=solo", "--loglevel=WARNING"]
    )


def beat(schedule_file):
    from openg2p_g2p_bridge_celery_beat_producers.app import Initializer, celery_app

    Initializer()
    celery_app.worker_main(
        [
            "worker",
            "--beat",
            f"--schedule={schedule_file}",
            "--queues=celery",
            "--pool=solo",
            "--loglevel=WARNING",
        ]
    )


if __name__ == "__main__":
    role = sys.argv[1]
    if role in ("migrate", "api"):
        api(role)
    elif role == "worker":
        worker()
    elif role == "beat":
        beat(sys.argv[2])
    else:
        sys.exit(f"unknown role {role!r}: migrate, api, worker or beat")
