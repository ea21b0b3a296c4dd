"""The recording SMTP server speaks enough SMTP for a real client (here smtplib)."""

from __future__ import annotations

import smtplib

import pytest

from tests.support.smtp import HOST, Login, RecordingSmtpServer


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize("initial_response", [True, False])
def test_records_each_login_and_message(mechanism: str, initial_response: bool) -> None:
    with RecordingSmtpServer() as server, smtplib.SMTP(HOST, server.port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("auth")
        client.user, client.password = "mailer", "pa:ss word"
        authobject = client.auth_plain if mechanism == "PLAIN" else client.auth_login
        code, _ = client.auth(mechanism, authobject, initial_response_ok=initial_response)
        assert code == 235
        client.sendmail("from@example.com", ["to@example.com"], "Subject: hi\r\n\r\n.dot\r\n")
        assert server.logins == [Login(mechanism, "mailer", "pa:ss word")]
        assert server.messages == ["Subject: hi\r\n\r\n.dot"]


def test_a_second_client_is_served_and_stop_frees_the_port() -> None:
    server = RecordingSmtpServer().start()
    try:
        for password in ("one", "two"):
            with smtplib.SMTP(HOST, server.port, timeout=10) as client:
                client.login("mailer", password)
        assert [login.password for login in server.wait_for_logins(2, 5)] == ["one", "two"]
    finally:
        server.stop()
    with pytest.raises(OSError):
        smtplib.SMTP(HOST, server.port, timeout=2)
