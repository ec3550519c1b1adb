"""Which microarchitecture build the solver must install, here or with ``__archspec`` overridden.

A variant built at several x86-64 levels has one package per level; the solver
installs the highest level whose ``_x86_64-microarch-level`` the ``__archspec``
virtual package allows (recipe.yaml gives higher levels higher build numbers).
Overriding ``__archspec`` with a level's generic CPU name (``x86_64``,
``x86_64_v2``, ...), as ``CONDA_OVERRIDE_ARCHSPEC`` does for conda, must then
install that level's build.
"""

from __future__ import annotations

from rattler import VirtualPackage

from hostchannel.microarch import ARCHSPEC_X86_64

from .build import BuildOutcome


def generic_cpu(level: int) -> str:
    """Return archspec's generic CPU name of a level: ``x86_64`` for 1, ``x86_64_vN`` above."""
    return "x86_64" if level == 1 else f"x86_64_v{level}"


def detected_cpu() -> str | None:
    """Return the CPU name of this machine's ``__archspec`` virtual package, if it has one."""
    for package in VirtualPackage.detect():
        generic = package.into_generic()
        if generic.name.normalized == "__archspec":
            return str(generic.build_string)
    return None


def cpu_level(cpu: str) -> int:
    """Return the x86-64 level of an archspec CPU name."""
    for level, names in ARCHSPEC_X86_64.items():
        if cpu in names:
            return level
    raise LookupError(
        f"__archspec {cpu!r} is not an x86_64 CPU name of "
        "hostchannel.microarch.ARCHSPEC_X86_64: add it at the level archspec gives it"
    )


def expected_build(builds: list[BuildOutcome], cpu: str | None) -> BuildOutcome:
    """Return the build of one variant that the solver must install on ``cpu``.

    ``builds`` are the successful builds of the variant; without microarchitecture
    levels there is one.
    """
    if len(builds) == 1 and builds[0].microarch_level is None:
        return builds[0]
    if cpu is None:
        raise LookupError("microarch builds need an __archspec virtual package to choose from")
    level = cpu_level(cpu)
    allowed = [b for b in builds if b.microarch_level is not None and b.microarch_level <= level]
    if not allowed:
        raise LookupError(f"no build of {builds[0].variant.tag} runs on {cpu} (level {level})")
    return max(allowed, key=lambda b: b.microarch_level)
