"""What only the PostgreSQL backend promises: secrets stay out of messages, a fenced-off run cannot write."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid

import pytest

from provisioner.errors import StateError, StateLockedError
from provisioner.state import PostgresBackend


@pytest.fixture
def name() -> str:
    return f"stack-{uuid.uuid4().hex[:12]}"


def test_describe_and_repr_never_show_the_connection_string(pg_server, name):
    backend = PostgresBackend(pg_server.conninfo, name)
    assert backend.describe() == f"postgres:{name}"
    assert pg_server.password not in repr(backend) and "127.0.0.1" not in backend.describe()


def test_a_database_that_cannot_be_reached_is_a_state_error_without_the_password(name):
    conninfo = "host=127.0.0.1 port=1 dbname=iac user=ci password=hunter2-secret connect_timeout=5"
    with pytest.raises(StateError) as raised:
        PostgresBackend(conninfo, name).read()
    message = str(raised.value)
    assert message.startswith(f"cannot connect to the database of state postgres:{name}")
    assert "hunter2-secret" not in message and "conninfo_env" in message


def test_a_wrong_password_is_a_state_error_without_the_password(pg_server, name):
    conninfo = pg_server.conninfo.replace(pg_server.password, "wrong-password-123")
    with pytest.raises(StateError) as raised:
        PostgresBackend(conninfo, name).write(b"{}")
    assert "password authentication failed" in str(raised.value)
    assert "wrong-password-123" not in str(raised.value)


def test_a_run_whose_lock_was_forced_away_cannot_write_over_the_next_run(pg_server, name):
    stuck = PostgresBackend(pg_server.conninfo, name)
    with stuck.lock("stuck apply"):
        stuck.write(b'{"serial": 1}')
        with pytest.raises(StateLockedError) as raised:
            with PostgresBackend(pg_server.conninfo, name).lock("me"):
                pass
        lock_id = raised.value.lock_id
        PostgresBackend(pg_server.conninfo, name).force_unlock(lock_id)
        rescuer = PostgresBackend(pg_server.conninfo, name)
        with rescuer.lock("rescue"):
            rescuer.write(b'{"serial": 2}')
            with pytest.raises(StateError, match=f"cannot write state postgres:{name}"):
                stuck.write(b'{"serial": 99}')
    assert PostgresBackend(pg_server.conninfo, name).read() == b'{"serial": 2}'


def test_the_lock_record_of_a_killed_holder_counts_for_nothing(pg_server, name, hold_lock):
    holder = hold_lock(f"PostgresBackend({pg_server.conninfo!r}, {name!r})")
    with pytest.raises(StateLockedError) as raised:
        with PostgresBackend(pg_server.conninfo, name).lock("me"):
            pass
    dead_id = raised.value.lock_id
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    deadline = time.monotonic() + 30  # the server notices the closed connection on its own schedule
    while True:
        try:
            PostgresBackend(pg_server.conninfo, name).force_unlock(dead_id)
        except StateError as exc:
            if "not locked" in str(exc):
                break
        assert time.monotonic() < deadline, "the killed holder's lock was never released"
        time.sleep(0.1)
    with PostgresBackend(pg_server.conninfo, name).lock("next"):
        with pytest.raises(StateLockedError, match="locked by next"):
            with PostgresBackend(pg_server.conninfo, name).lock("third"):
                pass


def test_without_the_driver_the_error_says_what_to_install():
    script = ("import sys; sys.modules['psycopg'] = None\n"
              "from provisioner.state import PostgresBackend\n"
              "try:\n    PostgresBackend('host=127.0.0.1', 's').read()\n"
              "except Exception as exc:\n    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "needs the psycopg driver" in done.stdout and "pip install 'provisioner[postgres]'" in done.stdout
