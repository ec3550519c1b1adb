"""The matrix is what the pinning in force renders, the same under every tool that reads it.

``rattler-build build -m FILE`` and ``conda build -m FILE`` (conda-build >= 26
hands v1 recipes to py-rattler-build) read variant files differently:
rattler-build picks the legacy loader (``# [selector]`` lines) for files named
conda_build_config.yaml and the v1 loader (``if:``) otherwise, while conda-build
loads every file with ``VariantConfig.from_file``, the v1 loader, evaluated for
the machine it runs on. Both read the recipe's variants.yaml first and the ``-m``
files after it. The flat pinning in force (tools/variants.py) and the recipe's
``if:`` conditions mean the same to both; these tests render every platform both
ways and require identical builds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rattler_build import JinjaConfig, PlatformConfig, RenderConfig, Stage0Recipe, VariantConfig

from variants import (
    MIGRATIONS,
    PLATFORMS,
    RECIPE,
    RECIPE_VARIANTS,
    apply_migration,
    load_pinning,
    pinning_in_force,
    render,
    write_pinning,
)

PINNING_KEYS = {"python", "numpy", "is_python_min", "is_freethreading", "zip_keys", "python_min"}


def _strings(rendered) -> list[str]:
    return sorted(r.recipe.to_dict()["build"]["string"] for r in rendered)


def _conda_build_render(variant_file: Path, platform: str) -> list:
    """Render as conda-build >= 26 does on a ``platform`` machine (conda_build/_rattler_build)."""
    machine = PlatformConfig(target_platform=platform, build_platform=platform)
    config = VariantConfig()
    for path in (RECIPE_VARIANTS, variant_file):
        config = config.merge(VariantConfig.from_file_with_context(path, JinjaConfig(machine)))
    return Stage0Recipe.from_file(RECIPE).render(config, RenderConfig(platform=machine))


@pytest.fixture(scope="module")
def conda_forge_pinning(reference) -> Path:
    return reference / "conda-forge-pinning-conda_build_config.yaml"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_rattler_build_and_conda_build_render_the_same_builds(
    platform: str, conda_forge_pinning, tmp_path
) -> None:
    combined = pinning_in_force(conda_forge_pinning, platform, MIGRATIONS)
    path = write_pinning(combined, tmp_path / "pinning.yaml")
    rattler = render([path], platform)
    conda = _conda_build_render(path, platform)
    assert rattler
    assert _strings(rattler) == _strings(conda)


def test_host_channel_pinning_renders_the_same_under_both(host_channel) -> None:
    assert _strings(render([host_channel.pinning], "linux-64")) == _strings(
        _conda_build_render(host_channel.pinning, "linux-64")
    )


def test_raw_global_pinning_would_not_do_for_conda_build(conda_forge_pinning, tmp_path) -> None:
    """Why `-m` gets the flat pinning in force: conda-build's loader reads no `# [selector]`.

    Selector-only lines leave keys without a list, which the v1 loader rejects;
    the same file flattened for one platform loads, with that platform's values.
    """
    with pytest.raises(Exception, match="must be a list"):
        VariantConfig.from_file(conda_forge_pinning)
    flat = write_pinning(pinning_in_force(conda_forge_pinning, "linux-64"), tmp_path / "p.yaml")
    assert VariantConfig.from_file(flat).to_dict()["c_compiler"] == ["gcc"]
    assert load_pinning(conda_forge_pinning, "osx-64")["variants"]["c_compiler"] == ["clang"]


def test_recipe_adds_to_the_pinning_and_restates_nothing() -> None:
    keys = set(yaml.safe_load(RECIPE_VARIANTS.read_text()))
    assert not keys & PINNING_KEYS, keys & PINNING_KEYS
    assert not (RECIPE_VARIANTS.parent / "conda_build_config.yaml").exists(), (
        "two recipe variant files (conda-smithy lint RC-002)"
    )


@pytest.mark.parametrize(
    ("platform", "levels", "compilers"),
    [
        ("linux-64", [1, 3], None),
        ("linux-aarch64", None, None),
        ("osx-64", None, None),
        ("win-64", None, ("clang", "flang", "21")),
    ],
)
def test_recipe_additions_per_platform(platform, levels, compilers, conda_forge_pinning) -> None:
    variants = pinning_in_force(conda_forge_pinning, platform)["variants"]
    assert variants.get("microarch_level") == levels
    if compilers:
        got = tuple(
            str(variants[k][0])
            for k in ("c_compiler", "fortran_compiler", "fortran_compiler_version")
        )
        assert got == compilers


BASE = {
    "variants": {
        "python": ["3.10.* *_cpython", "3.11.* *_cpython"],
        "is_python_min": [True, False],
        "is_freethreading": [False],
        "is_abi3": [True],
        "numpy": ["2"],
    },
    "zip_keys": [["python", "is_python_min"]],
}


def _migration(name: str) -> dict:
    return yaml.safe_load((MIGRATIONS / name).read_text())


def test_key_add_appends_the_python_and_its_zip_partner() -> None:
    result = apply_migration(BASE, _migration("python314.yaml"))
    assert result["variants"]["python"][-1] == "3.14.* *_cp314"
    assert result["variants"]["is_python_min"] == [True, False, False]
    assert result["zip_keys"] == [["python", "is_python_min"]]
    assert BASE["variants"]["python"] == ["3.10.* *_cpython", "3.11.* *_cpython"], "mutated"


def test_additional_zip_keys_are_broadcast_then_extended() -> None:
    once = apply_migration(BASE, _migration("python314.yaml"))
    twice = apply_migration(once, _migration("python314t.yaml"))
    v = twice["variants"]
    assert twice["zip_keys"] == [["python", "is_python_min", "is_freethreading", "is_abi3"]]
    assert v["python"][-2:] == ["3.14.* *_cp314", "3.14.* *_cp314t"]
    assert v["is_freethreading"] == [False, False, False, True]
    assert v["is_abi3"] == [True, True, True, False]


def test_a_migration_already_applied_adds_nothing() -> None:
    once = apply_migration(BASE, _migration("python314.yaml"))
    assert apply_migration(once, _migration("python314.yaml")) == once


def test_other_migration_operations_are_refused() -> None:
    with pytest.raises(ValueError, match="not supported"):
        apply_migration(BASE, {"__migrator": {"operation": "key_remove", "primary_key": "python"}})
