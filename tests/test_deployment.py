"""The production stack's files, checked without a Docker engine."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class TestComposeFile:
    def test_validates_and_has_the_production_services(self) -> None:
        compose = Path(sys.executable).parent / "docker-compose"

        check = subprocess.run(
            [compose, "config", "--quiet"], cwd=ROOT, capture_output=True, text=True
        )
        services = subprocess.run(
            [compose, "config", "--services"], cwd=ROOT, capture_output=True, text=True
        )

        assert check.returncode == 0, check.stderr
        assert set(services.stdout.split()) == {"db", "redis", "api", "worker", "beat"}

    def test_database_image_has_pgvector(self) -> None:
        text = (ROOT / "docker-compose.yml").read_text()

        assert "image: pgvector/pgvector:" in text
