"""hack/build-image.sh and hack/kind/e2e.sh fail fast and clearly without a container engine."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from .manifests import REPO


def run_without_engines(
    script: Path, tmp_path: Path, extra: Path | None = None
) -> subprocess.CompletedProcess[str]:
    # A PATH with only bash and coreutils-like basics: no docker, podman or kind.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "head", "mktemp", "rm", "cat", "grep", "tr", "base64"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    return subprocess.run(
        ["bash", str(script)],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": f"{extra}:{bin_dir}" if extra else str(bin_dir), "HOME": str(tmp_path)},
        cwd=tmp_path,
    )


NO_ENGINE = "no container engine (docker or podman) found; this development machine has none"


def test_build_image_says_there_is_no_engine(tmp_path: Path) -> None:
    done = run_without_engines(REPO / "hack" / "build-image.sh", tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == NO_ENGINE


def test_a_docker_cli_without_a_daemon_is_no_engine(tmp_path: Path) -> None:
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "docker").write_text(
        "#!/bin/bash\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n"
    )
    (fake / "docker").chmod(0o755)
    done = run_without_engines(REPO / "hack" / "build-image.sh", tmp_path, extra=fake)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        NO_ENGINE,
        "(installed but not working, e.g. no daemon: docker)",
    ]


def test_e2e_fails_fast_without_an_engine(tmp_path: Path) -> None:
    done = run_without_engines(REPO / "hack" / "kind" / "e2e.sh", tmp_path)
    assert done.returncode == 1
    assert "needs a working docker or podman" in done.stderr
    assert done.stdout == ""  # nothing was attempted


def test_scripts_parse_and_are_executable() -> None:
    for script in (REPO / "hack" / "build-image.sh", REPO / "hack" / "kind" / "e2e.sh"):
        assert script.stat().st_mode & 0o111, f"{script} is not executable"
        done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


def test_kind_config_has_room_for_two_replicas() -> None:
    config = yaml.safe_load((REPO / "hack" / "kind" / "kind-config.yaml").read_text())
    roles = [n["role"] for n in config["nodes"]]
    assert roles.count("control-plane") == 1 and roles.count("worker") >= 2
