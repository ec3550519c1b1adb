"""x86_64-microarch-level and _x86_64-microarch-level: conda-forge's microarchitecture levels.

conda-forge's microarch-level-feedstock publishes, per x86-64 psABI level N:

* ``x86_64-microarch-level N``: goes into a recipe's build requirements; its
  activation script appends ``-march=x86-64-vN`` (``-march=x86-64`` for N=1) to
  CFLAGS, CXXFLAGS and CPPFLAGS, and it run_exports (strong)
  ``_x86_64-microarch-level >=N``;
* ``_x86_64-microarch-level N``: empty; it depends on the ``__archspec`` virtual
  package naming a CPU of level N or higher, so a package built at level N only
  installs where the CPU can run it.

The run_export is a lower bound, so the solver could install a level-1 build on a
level-3 CPU: recipes give higher levels higher build numbers.

The shims here behave the same. One deliberate difference: conda-forge also
publishes one ``_x86_64-microarch-level`` build per CPU name with an exact
``__archspec 1.* <name>`` dependency, for conda and mamba, which cannot match a
regular expression in a build string. py-rattler, the only solver that reads the
host channel, can, so only the per-level builds (a ``^(name|...)$`` build
matcher) are carried.
"""

from __future__ import annotations

from .spec import BUILD_PREFIX, Content, Shim

HOMEPAGE = "https://github.com/conda-forge/microarch-level-feedstock"
# x86_64 CPU names of archspec's microarchitectures.json (the database behind
# the __archspec virtual package that rattler detects), by the highest x86-64
# psABI level each implements. From archspec 0.2.7; 0.2.5, which py-rattler
# 0.28 embeds, has a subset of these names and lists cannonlake at level 3:
# it is kept at 4 here, where 0.2.7 puts it, since it has AVX-512.
ARCHSPEC_X86_64 = {
    1: ("x86_64", "nocona", "core2", "k10"),
    2: (
        "x86_64_v2", "nehalem", "westmere", "sandybridge", "ivybridge",
        "bulldozer", "piledriver", "steamroller",
    ),
    3: (
        "x86_64_v3", "haswell", "broadwell", "skylake", "mic_knl", "alderlake",
        "arrowlake", "arrowlake_s", "excavator", "zen", "zen2", "zen3",
    ),
    4: (
        "x86_64_v4", "skylake_avx512", "cannonlake", "cascadelake", "icelake",
        "sapphirerapids", "zen4", "zen5", "zen6",
    ),
}  # fmt: skip


def march(level: int) -> str:
    """Return the GCC flag of a psABI level: ``-march=x86-64`` for 1, ``-march=x86-64-vN`` above."""
    return "-march=x86-64" if level == 1 else f"-march=x86-64-v{level}"


def archspec_spec(level: int) -> str:
    """Return the ``__archspec`` dependency of a level: any CPU name of that level or higher."""
    names = [name for lvl, group in ARCHSPEC_X86_64.items() if lvl >= level for name in group]
    # The bracket form: rattler-build's recipe parser refuses a regular
    # expression in the positional build field.
    return f"__archspec[version='1.*', build='^({'|'.join(names)})$']"


def _activation(level: int) -> Content:
    # Sourced after the compilers' own activation (file names sort "~" last), so
    # the appended -march is the last one on every command line and wins.
    flag = march(level)
    names = ("CFLAGS", "CXXFLAGS", "CPPFLAGS")
    return Content("".join(f'export {name}="${{{name}:+${name} }}{flag}"\n' for name in names))


def microarch_shims() -> list[Shim]:
    """Both packages for every x86-64 psABI level (1-4), as conda-forge publishes them."""
    shims = []
    for level in ARCHSPEC_X86_64:
        # What the two packages of a level share.
        level_package = {
            "version": str(level),
            "build": f"{BUILD_PREFIX}level{level}",
            "license": "BSD-3-Clause",
            "homepage": HOMEPAGE,
            "noarch": "generic",
        }
        shims.append(
            Shim(
                name="_x86_64-microarch-level",
                summary=(
                    f"Installs only where __archspec names an x86-64-v{level} (or newer) CPU, "
                    "like conda-forge's _x86_64-microarch-level"
                ),
                script=("true",),
                depends=(archspec_spec(level),),
                **level_package,
            )
        )
        shims.append(
            Shim(
                name="x86_64-microarch-level",
                summary=(
                    f"Build requirement for x86-64 level {level}: activation appends "
                    f"{march(level)} to CFLAGS/CXXFLAGS/CPPFLAGS, run_exports "
                    f"_x86_64-microarch-level >={level}, like conda-forge's x86_64-microarch-level"
                ),
                files={
                    "etc/conda/activate.d/~activate-x86_64-microarch-level.sh": _activation(level)
                },
                depends=("__unix",),
                run_exports={"strong": (f"_x86_64-microarch-level >={level}",)},
                **level_package,
            )
        )
    return shims
