"""Several instances of the app on one database: the gunicorn servers of the fault tests."""

from tests.faults.conftest import start_server

__all__ = ["start_server"]
