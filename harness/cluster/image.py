"""The broker image: one contract, two recipes.

Both recipes give an image with /opt/kafka/bin/kafka-storage.sh, /opt/kafka/bin/kafka-server-start.sh
and /opt/chaos/broker-start.sh, so the cluster never cares which one built it:

- ``offline``: a Debian bookworm rootfs from mmdebstrap, imported with ``docker import``, plus the Kafka
  jars that Maven resolves from Maven Central. Needs no container registry.
- ``official``: ``apache/kafka:<version>`` plus iptables and iproute2, for users with a registry.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from docker.errors import APIError, BuildError, ImageNotFound

from harness.cluster.config import ImageSpec, Recipe
from harness.cluster.engine import docker_client
from harness.errors import ImageError

BASE_IMAGE = "kafka-chaos-base:bookworm"
DEBIAN_PACKAGES = "openjdk-17-jre-headless,iptables,iproute2,procps"
DOCKER_DIR = Path(__file__).resolve().parent.parent.parent / "docker"


def image_exists(tag: str) -> bool:
    try:
        docker_client().images.get(tag)
        return True
    except ImageNotFound:
        return False


def ensure_image(spec: ImageSpec, rebuild: bool = False, log=print) -> str:
    """Return the image tag, building it only when missing (or when asked to rebuild)."""
    if image_exists(spec.tag) and not rebuild:
        return spec.tag
    if not DOCKER_DIR.is_dir():
        raise ImageError(f"image recipes not found at {DOCKER_DIR}; install the harness from its source tree")
    log(f"building broker image {spec.tag} ({spec.recipe.value} recipe)")
    with tempfile.TemporaryDirectory(prefix="kafka-chaos-image-") as tmp:
        context = Path(tmp)
        if spec.recipe is Recipe.OFFLINE:
            _ensure_base_image(context, rebuild=rebuild, log=log)
            _offline_context(context, spec.kafka_version, log=log)
            buildargs = {"BASE_IMAGE": BASE_IMAGE}
        else:
            shutil.copytree(DOCKER_DIR / "official", context, dirs_exist_ok=True)
            buildargs = {"KAFKA_VERSION": spec.kafka_version}
        shutil.copy2(DOCKER_DIR / "broker-start.sh", context / "broker-start.sh")
        shutil.copy2(DOCKER_DIR / "cds-train.sh", context / "cds-train.sh")
        try:
            docker_client().images.build(
                path=str(context),
                tag=spec.tag,
                buildargs=buildargs,
                rm=True,
                labels={"io.kafka-chaos.recipe": spec.recipe.value, "io.kafka-chaos.kafka-version": spec.kafka_version},
            )
        except (BuildError, APIError) as exc:
            raise ImageError(f"docker build of {spec.tag} failed: {_one_line(exc)}") from None
    log(f"built {spec.tag}")
    return spec.tag


def _ensure_base_image(workdir: Path, rebuild: bool, log) -> None:
    if image_exists(BASE_IMAGE) and not rebuild:
        return
    if shutil.which("mmdebstrap") is None:
        raise ImageError("mmdebstrap is not installed (apt-get install mmdebstrap); it builds the offline base image")
    tarball = workdir / "rootfs.tar"
    log(f"making Debian bookworm rootfs with {DEBIAN_PACKAGES} (about 30 s)")
    _run(["mmdebstrap", "--variant=apt", f"--include={DEBIAN_PACKAGES}", "bookworm", str(tarball)], "mmdebstrap")
    repository, tag = BASE_IMAGE.split(":")
    try:
        docker_client().api.import_image_from_file(str(tarball), repository=repository, tag=tag)
    except APIError as exc:
        raise ImageError(f"docker import of the rootfs failed: {_one_line(exc)}") from None
    tarball.unlink()


def _offline_context(context: Path, kafka_version: str, log) -> None:
    if shutil.which("mvn") is None:
        raise ImageError("Maven (mvn) is not installed; it fetches the Kafka jars for the offline image")
    offline = DOCKER_DIR / "offline"
    shutil.copytree(offline, context, dirs_exist_ok=True)
    log(f"fetching Kafka {kafka_version} and its runtime dependencies with Maven")
    _run(
        ["mvn", "-q", "-B", "-f", str(offline / "pom.xml"), "dependency:copy-dependencies",
         f"-Dkafka.version={kafka_version}", "-DincludeScope=runtime", f"-DoutputDirectory={context / 'libs'}"],
        f"Maven could not resolve Kafka {kafka_version}",
    )


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        print("\n".join(tail), file=sys.stderr)
        raise ImageError(f"{what} failed (exit {proc.returncode})")


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]
