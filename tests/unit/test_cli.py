"""`keycloak-controller run` flags: one default for workers, environment values checked."""

from __future__ import annotations

import argparse

import pytest

from keycloak_controller import DEFAULT_WORKERS, cli


def run_args(monkeypatch: pytest.MonkeyPatch, *argv: str, **env: str) -> argparse.Namespace:
    for name, value in env.items():
        monkeypatch.setenv(cli.ENV_PREFIX + name, value)
    return cli.parse_args(["run", *argv])


def usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, **env: str
) -> str:
    with pytest.raises(SystemExit) as exit_info:
        run_args(monkeypatch, **env)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_the_cli_and_controller_options_default_to_the_same_worker_count() -> None:
    from keycloak_controller.controllers.setup import ControllerOptions

    args = cli.parse_args(["run"])
    assert args.workers == ControllerOptions().workers == DEFAULT_WORKERS


def test_environment_values_are_converted(monkeypatch: pytest.MonkeyPatch) -> None:
    args = run_args(
        monkeypatch,
        WORKERS="3",
        RESYNC_PERIOD="30.5",
        LEADER_ELECT="off",
        LOG_LEVEL="debug",
        METRICS_BIND_ADDRESS="127.0.0.1:9090",
    )
    assert not [v for v in vars(args).values() if isinstance(v, cli._FromEnv)]
    assert (args.workers, args.resync_period, args.leader_elect) == (3, 30.5, False)
    assert (args.log_level, args.probe_address) == ("debug", "127.0.0.1:9090")


def test_a_flag_wins_over_a_bad_environment_value(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_args(monkeypatch, "--workers", "4", WORKERS="abc").workers == 4


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("WORKERS", "abc", "expected a whole number"),
        ("WORKERS", "0", "expected at least 1"),
        ("RESYNC_PERIOD", "soon", "expected seconds"),
        ("RESYNC_PERIOD", "-1", "more than 0 seconds"),
        ("LEADER_ELECT", "maybe", "expected one of"),
        ("LOG_LEVEL", "verbose", "expected one of debug, info, warning, error"),
        ("LOG_FORMAT", "xml", "expected one of auto, json, console"),
        ("HEALTH_PROBE_BIND_ADDRESS", "localhost", "expected host:port"),
    ],
)
def test_a_bad_environment_value_is_a_usage_error_naming_the_variable(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    message: str,
) -> None:
    err = usage_error(capsys, monkeypatch, **{variable: value})
    assert "usage: keycloak-controller run" in err
    assert f"{cli.ENV_PREFIX}{variable}={value!r}" in err
    assert message in err
    assert "Traceback" not in err


def test_a_bad_flag_value_is_a_usage_error_too(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.parse_args(["run", "--workers", "many"])
    assert "argument --workers: expected a whole number, got 'many'" in capsys.readouterr().err


def test_the_parser_builds_whatever_the_environment_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    # make dev reads the help text; building the parser must never fail.
    monkeypatch.setenv(cli.ENV_PREFIX + "WORKERS", "abc")
    monkeypatch.setenv(cli.ENV_PREFIX + "RESYNC_PERIOD", "abc")
    assert "run" in cli.build_parser().format_help()
