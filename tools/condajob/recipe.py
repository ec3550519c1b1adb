"""Render recipe/recipe.yaml with a pinning file and the variant matrix."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rattler_build import JinjaConfig, PlatformConfig, RenderConfig, Stage0Recipe, VariantConfig
from rattler_build.render import RenderedVariant

REPO_ROOT = Path(__file__).resolve().parents[2]
RECIPE = REPO_ROOT / "recipe" / "recipe.yaml"
MATRIX = REPO_ROOT / "recipe" / "conda_build_config.yaml"
VERSION_FILE = REPO_ROOT / "VERSION"


def project_version() -> str:
    """Read the project version from its single source, the VERSION file."""
    return VERSION_FILE.read_text().strip()


@contextmanager
def recipe_environment(sdist_sha256: str | None = None) -> Iterator[None]:
    """Export what the recipe reads from the environment while rendering/building.

    ``CHEMLIB_VERSION`` comes from VERSION; ``CHEMLIB_SDIST_SHA256`` switches the
    source from the working tree to the released sdist. Both are restored after.
    """
    values = {"CHEMLIB_VERSION": project_version(), "CHEMLIB_SDIST_SHA256": sdist_sha256}
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def variant_config(pinning: Path, platform: PlatformConfig) -> VariantConfig:
    """Overlay the variant matrix on a pinning file, selectors evaluated for ``platform``.

    Both are conda-build style files (``# [osx]`` selectors), read with the
    legacy loader; the matrix wins where both name a key, as in a feedstock.
    """
    jinja = JinjaConfig(platform=platform)
    base = VariantConfig.from_conda_build_config(pinning, jinja)
    return base.merge(VariantConfig.from_conda_build_config(MATRIX, jinja))


def render(
    pinning: Path, target_platform: str = "linux-64", build_platform: str | None = None
) -> list[RenderedVariant]:
    """Render every variant of the recipe for a platform (call inside ``recipe_environment``)."""
    platform = PlatformConfig(
        target_platform=target_platform, build_platform=build_platform or target_platform
    )
    recipe = Stage0Recipe.from_file(RECIPE)
    return recipe.render(variant_config(pinning, platform), RenderConfig(platform=platform))
