"""Helpers to run a use case in many threads at once, each with its own app context."""

import threading
from collections.abc import Callable

import pytest

from wiki.extensions import db
from wiki.models import User


@pytest.fixture
def run_at_once(app) -> Callable:
    def run(jobs: list[Callable[[], object]]) -> list[object]:
        """Start every job at the same instant; answer each job's result or exception."""
        # End the test's own read transaction: on SQLite (WAL) it would keep an old snapshot.
        db.session.commit()
        barrier = threading.Barrier(len(jobs))
        results: list[object] = [None] * len(jobs)

        def worker(index: int, job: Callable) -> None:
            with app.app_context():
                barrier.wait()
                try:
                    results[index] = job()
                except Exception as error:  # collected and asserted on by the test
                    results[index] = error
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads), "a job hung"
        db.session.commit()
        db.session.expire_all()
        return results

    return run


def fresh_user(user_id: int) -> User:
    """The user loaded in the calling thread's own session."""
    return db.session.get(User, user_id)
