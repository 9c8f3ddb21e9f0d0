"""geo.store.accounts: argon2id hashes in a file outside git, roles, failed-login throttling."""
import pytest

from geo.store.accounts import LOCK_S, MAX_FAILURES, LoginLocked, Throttle, User, add_user, login, read_users

PASSWORD = "ein-langes-passwort"


@pytest.fixture
def users(tmp_path):
    path = tmp_path / "benutzer.toml"
    add_user(path, "anna", PASSWORD, "redaktion")
    add_user(path, "ben", PASSWORD + "2", "pruefung")
    return path


def test_hashes_are_salted_argon2id_and_the_file_is_private(users):
    entries = read_users(users)
    assert entries["anna"]["hash"].startswith("$argon2id$")
    assert PASSWORD not in users.read_text()
    add_user(users, "carl", PASSWORD, "redaktion")  # same password, other salt
    assert read_users(users)["carl"]["hash"] != read_users(users)["anna"]["hash"]
    assert oct(users.stat().st_mode & 0o777) == "0o600"


def test_login_gives_the_user_with_role(users):
    assert login(users, "anna", PASSWORD, Throttle()) == User("anna", "redaktion")
    assert login(users, " BEN ", PASSWORD + "2", Throttle()).reviews
    assert login(users, "anna", "falsch", Throttle()) is None
    assert login(users, "niemand", PASSWORD, Throttle()) is None


def test_no_user_file_means_nobody_can_log_in(tmp_path):
    assert login(tmp_path / "fehlt.toml", "anna", PASSWORD, Throttle()) is None


@pytest.mark.parametrize("name, password, role, message", [
    ("A", PASSWORD, "redaktion", "Name"), ("anna", "kurz", "redaktion", "Passwort"), ("anna", PASSWORD, "chef", "Rolle")])
def test_bad_accounts_are_refused(tmp_path, name, password, role, message):
    with pytest.raises(ValueError, match=message):
        add_user(tmp_path / "b.toml", name, password, role)


def test_five_failures_lock_the_name_even_for_the_right_password(users):
    throttle = Throttle()
    for i in range(MAX_FAILURES):
        assert login(users, "anna", "falsch", throttle, now=100.0 + i) is None
    with pytest.raises(LoginLocked) as locked:
        login(users, "anna", PASSWORD, throttle, now=110.0)
    assert locked.value.seconds == LOCK_S - (110 - 104)
    # another name is not affected; after the lock the right password works again
    assert login(users, "ben", PASSWORD + "2", throttle, now=110.0) is not None
    assert login(users, "anna", PASSWORD, throttle, now=104.0 + LOCK_S + 1) == User("anna", "redaktion")
