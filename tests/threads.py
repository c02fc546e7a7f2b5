"""Run the same work in several threads released at one moment, as racing requests would."""

import threading

from django.db import connection


def run_at_once(work, times: int = 2) -> None:
    """Start `times` threads that call `work` together; each closes its own database connection."""
    barrier = threading.Barrier(times)

    def run():
        try:
            barrier.wait()
            work()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
