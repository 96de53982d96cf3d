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
``bank-migrate ACCOUNT CURRENCY``, ``bank-api``, ``bank-worker``: G2P
             Bridge's example bank, the sponsor bank its ``EXAMPLE``
             connector pays through: its tables (its ``migrate`` also
             misses some) and the program's funded sponsor account, its API,
             and its celery worker with beat (payments, statements). Its
             1.1.0 code needs columns its only published models (1.0.2) lack:
             :func:`_complete_bank_models` declares them.

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
        import openg2p_g2p_bridge_models.models  # noqa: F401 - registers the tables

        asyncio.run(_create_tables())
    else:
        initializer.run_server(None)


async def _create_tables():
    """Every table of the models imported in this process."""
    from openg2p_fastapi_common.context import dbengine
    from openg2p_fastapi_common.models import BaseORMModel

    async with dbengine.get().begin() as connection:
        await connection.run_sync(BaseORMModel.metadata.create_all)


def _complete_bank_models():
    """The columns of a payment batch that the example bank's API and tasks
    1.1.0 write (the payloads as received, the state of their expansion
    into payment requests) and that ``openg2p-g2p-bridge-example-bank-models``
    1.0.2, its last release, does not declare."""
    from openg2p_g2p_bridge_example_bank_models.models import (
        InitiatePaymentBatchRequest,
        PaymentStatus,
    )
    from sqlalchemy import Enum, String, Text
    from sqlalchemy.orm import mapped_column

    batch = InitiatePaymentBatchRequest
    if "initiate_payment_payloads" in batch.__table__.columns:
        return
    batch.batching_request_status = mapped_column(
        Enum(PaymentStatus), default=PaymentStatus.PENDING
    )
    batch.batching_request_latest_error_code = mapped_column(String, nullable=True)
    batch.initiate_payment_payloads = mapped_column(Text, nullable=True)


def bank_api(command, sponsor_account=None, currency=None):
    from openg2p_g2p_bridge_example_bank_api.app import Initializer  # isort: skip
    from openg2p_fastapi_common.ping import PingInitializer

    _complete_bank_models()
    initializer = Initializer()
    PingInitializer()
    if command == "bank-migrate":
        asyncio.run(_create_bank_tables(sponsor_account, currency))
    else:
        initializer.run_server(None)


async def _create_bank_tables(sponsor_account, currency):
    """The example bank's tables and a sponsor account with money on it."""
    from openg2p_fastapi_common.context import dbengine
    from openg2p_g2p_bridge_example_bank_models.models import Account
    from sqlalchemy import select, text
    from sqlalchemy.ext.asyncio import async_sessionmaker

    await _create_tables()
    # The bank's payment task opens wallet clearing accounts without phone
    # or e-mail, which its models declare NOT NULL: the whole batch would
    # fail on the first wallet.
    async with dbengine.get().begin() as connection:
        await connection.execute(
            text(
                "ALTER TABLE accounts ALTER COLUMN account_holder_phone DROP NOT NULL,"
                " ALTER COLUMN account_holder_email DROP NOT NULL"
            )
        )
    async with async_sessionmaker(dbengine.get())() as session:
        found = await session.execute(
            select(Account).where(Account.account_number == sponsor_account)
        )
        if found.first() is None:
            session.add(
                Account(
                    account_holder_name="Ministry of Social Protection",
                    account_number=sponsor_account,
                    account_currency=currency,
                    book_balance=1e9,
                    available_balance=1e9,
                    blocked_amount=0,
                    active=True,
                )
            )
            await session.commit()


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


def bank_worker(schedule_file):
    from openg2p_g2p_bridge_example_bank_celery.app import Initializer, celery_app

    _complete_bank_models()
    Initializer()
    celery_app.worker_main(
        [
            "worker",
            "--beat",
            f"--schedule={schedule_file}",
            f"--queues={WORKER_QUEUE},celery",
            "--pool=solo",
            "--loglevel=WARNING",
        ]
    )


if __name__ == "__main__":
    role, *args = sys.argv[1:]
    roles = {
        "migrate": lambda: api("migrate"),
        "api": lambda: api("api"),
        "worker": worker,
        "beat": lambda: beat(*args),
        "bank-migrate": lambda: bank_api("bank-migrate", *args),
        "bank-api": lambda: bank_api("bank-api"),
        "bank-worker": lambda: bank_worker(*args),
    }
    if role not in roles:
        sys.exit(f"unknown role {role!r}: {', '.join(roles)}")
    roles[role]()
