"""The variant matrix: what recipe/recipe.yaml renders with the pinning in force.

Nothing in this repository lists the Pythons or NumPys chemlib-kernels is built
for. They are whatever the pinning in force renders, as conda-smithy renders a
feedstock's ``.ci_support/`` files:

* online, conda-forge's global pinning (the ``conda-forge-pinning`` package),
  with the migrations this repository carries in ``.ci_support/migrations/``
  applied to it (CFEP-9 ``key_add``, as conda-smithy applies them), then
  ``recipe/variants.yaml`` on top (what the recipe adds: microarch levels,
  Windows compilers);
* offline, the host channel's own pinning file, which lists what the host
  channel holds (tools/host_channel.py).

:func:`pinning_in_force` writes that combination as one flat variant file per
platform, with no selectors left in it, so ``rattler-build build -m FILE`` and
``conda build -m FILE`` read it the same way. :func:`load_variants` renders the
recipe with it; CI, the pixi checks and the build job take the matrix from there.

Command line::

    python tools/variants.py --pinning FILE [--migrations DIR] [--platform linux-64]
                             [--json | --github-matrix | --write OUT]
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml
from rattler import Subdir
from rattler_build import JinjaConfig, PlatformConfig, RenderConfig, Stage0Recipe, VariantConfig
from rattler_build.render import RenderedVariant

REPO_ROOT = Path(__file__).resolve().parent.parent
RECIPE_DIR = REPO_ROOT / "recipe"
RECIPE = RECIPE_DIR / "recipe.yaml"
RECIPE_VARIANTS = RECIPE_DIR / "variants.yaml"
MIGRATIONS = REPO_ROOT / ".ci_support" / "migrations"
# Platforms the recipe is built for (conda-forge.yml's provider keys, spelled as subdirs).
PLATFORMS = ("linux-64", "linux-aarch64", "osx-64", "osx-arm64", "win-64")


@dataclass(frozen=True)
class Variant:
    """One Python x NumPy entry of the matrix (microarch levels multiply builds, not entries)."""

    python: str  # "3.12"
    python_spec: str  # "3.12.* *_cpython", as the pinning writes it
    numpy: str  # the NumPy the variant is built against ("2")
    freethreading: bool = False

    @property
    def tag_python(self) -> str:
        """``3.12``, ``3.13t``: the Python with its free-threading mark."""
        return self.python + ("t" if self.freethreading else "")

    @property
    def tag(self) -> str:
        """Short name for pixi environments, CI jobs and logs: ``py312``, ``py314t``."""
        return "py" + self.python.replace(".", "") + ("t" if self.freethreading else "")


def _jinja(platform: str) -> JinjaConfig:
    return JinjaConfig(platform=PlatformConfig(target_platform=platform))


def load_pinning(path: Path, platform: str) -> dict:
    """Load a conda-build style pinning, its ``# [selector]`` lines evaluated for platform."""
    config = VariantConfig.from_conda_build_config(path, _jinja(platform))
    return {"variants": config.to_dict(), "zip_keys": [list(z) for z in config.zip_keys or []]}


def _migration_order(path: Path) -> tuple[float, str]:
    return float(yaml.safe_load(path.read_text()).get("migrator_ts", 0)), path.name


def apply_migration(pinning: dict, migration: dict) -> dict:
    """Apply one CFEP-9 ``key_add`` migration to a loaded pinning; return the new pinning.

    The primary key (``python``) gains the migration's values, together with the
    keys zipped to it (``is_python_min``); ``additional_zip_keys`` join that zip
    group first, their single global value broadcast to the existing entries, as
    conda-smithy does. Entries are ordered by the migration's ``ordering``.
    Only ``key_add`` is implemented: it is the only operation of the Python
    migrations this repository carries; another one is an error, not ignored.
    """
    meta = migration["__migrator"]
    if meta.get("operation") != "key_add":
        raise ValueError(f"migration operation {meta.get('operation')!r} is not supported")
    primary = meta["primary_key"]
    result = copy.deepcopy(pinning)
    variants, zips = result["variants"], result["zip_keys"]
    group = next((chunk for chunk in zips if primary in chunk), None)
    if group is None:
        group = [primary]
        zips.append(group)
    existing = len(variants[primary])
    for key in meta.get("additional_zip_keys", []):
        if key in group:
            continue
        if len(variants.get(key, [])) != 1:
            raise ValueError(f"cannot broadcast {key}={variants.get(key)} over the {primary} zip")
        variants[key] = variants[key] * existing
        group.append(key)
    missing = [key for key in group if key not in migration]
    if missing:
        raise ValueError(f"migration adds {primary} without values for zipped keys {missing}")
    rows = list(zip(*(variants[key] for key in group), strict=True))
    for new in zip(*(migration[key] for key in group), strict=True):
        if new not in rows:
            rows.append(new)
    ordering = meta.get("ordering", {}).get(primary)
    if ordering:
        index = group.index(primary)
        rows.sort(key=lambda row: ordering.index(row[index]))
    for key, values in zip(group, zip(*rows, strict=True), strict=True):
        variants[key] = list(values)
    return result


def pinning_in_force(pinning: Path, platform: str, migrations: Path | None = None) -> dict:
    """Return the pinning a ``platform`` build uses: pinning, migrations, recipe additions.

    Returns ``{"variants": {key: [values]}, "zip_keys": [[...]]}`` with every
    selector and condition evaluated for the platform.
    """
    combined = load_pinning(pinning, platform)
    for path in sorted((migrations or Path("/nonexistent")).glob("*.yaml"), key=_migration_order):
        combined = apply_migration(combined, yaml.safe_load(path.read_text()))
    additions = VariantConfig.from_file_with_context(RECIPE_VARIANTS, _jinja(platform)).to_dict()
    combined["variants"].update(additions)
    return combined


def write_pinning(combined: dict, path: Path) -> Path:
    """Write a pinning in force as a flat variant file (no selectors)."""
    data = {key: list(values) for key, values in combined["variants"].items()}
    if combined["zip_keys"]:
        data["zip_keys"] = combined["zip_keys"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=True))
    return path


def render(
    variant_files: list[Path], target_platform: str, build_platform: str | None = None
) -> list[RenderedVariant]:
    """Render the recipe as ``rattler-build build --recipe recipe -m FILE ...`` does.

    The recipe's own variants.yaml comes first and the ``-m`` files after it, in
    order (later files win), each read by the loader rattler-build picks for its
    file name, with selectors evaluated for the target platform.
    """
    platform = PlatformConfig(
        target_platform=target_platform, build_platform=build_platform or target_platform
    )
    config = VariantConfig.from_files_with_context(
        [RECIPE_VARIANTS, *variant_files], JinjaConfig(platform=platform)
    )
    recipe = Stage0Recipe.from_file(RECIPE)
    return recipe.render(config, RenderConfig(platform=platform))


def is_freethreading(python_spec: str) -> bool:
    """Whether a pinning's python entry is a free-threaded build (``3.14.* *_cp314t``).

    conda-forge's build strings say it (``_cp313t``); the variant's own
    ``is_freethreading`` key is zipped beside it but not part of a rendered
    variant unless the recipe reads it.
    """
    return re.search(r"_cp\d+t$", python_spec.split()[-1]) is not None


def variants_of(rendered: list[RenderedVariant]) -> list[Variant]:
    """Return the distinct Python x NumPy entries of rendered variants, in pinning order."""
    seen: dict[tuple, Variant] = {}
    for item in rendered:
        spec = str(item.variant["python"])
        version = spec.split()[0].removesuffix(".*")
        variant = Variant(version, spec, str(item.variant["numpy"]), is_freethreading(spec))
        seen.setdefault((variant.python_spec, variant.numpy), variant)
    return list(seen.values())


def load_variants(
    pinning: Path, platform: str = "linux-64", migrations: Path | None = None
) -> list[Variant]:
    """Return the matrix the pinning in force renders for a platform."""
    combined = write_pinning(
        pinning_in_force(pinning, platform, migrations),
        REPO_ROOT / ".cache" / "variants" / f"{platform}.yaml",
    )
    return variants_of(render([combined], platform))


def main(argv: list[str] | None = None) -> int:
    """Print (or write) the matrix of a pinning."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pinning", type=Path, required=True, help="a conda_build_config.yaml")
    parser.add_argument(
        "--migrations", type=Path, help=f"CFEP-9 migrations to apply (e.g. {MIGRATIONS})"
    )
    parser.add_argument(
        "--platform",
        default=str(Subdir.current()),
        choices=PLATFORMS,
        help="the target platform (default: this machine's)",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print the variants as a JSON list")
    group.add_argument(
        "--github-matrix", action="store_true", help="print a GitHub Actions matrix object"
    )
    group.add_argument(
        "--write", type=Path, help="write the pinning in force to this file, for `-m`"
    )
    args = parser.parse_args(argv)
    if args.write:
        combined = pinning_in_force(args.pinning, args.platform, args.migrations)
        print(write_pinning(combined, args.write))
        return 0
    variants = load_variants(args.pinning, args.platform, args.migrations)
    rows = [asdict(v) | {"tag": v.tag} for v in variants]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif args.github_matrix:
        print(json.dumps({"include": rows}, separators=(",", ":")))
    else:
        for v in variants:
            print(f"{v.tag}: python {v.python_spec}, numpy {v.numpy}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
