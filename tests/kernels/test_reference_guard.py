"""No test takes NumPy's transcendental or reduction functions as the truth.

NumPy computes sin, arctan2, exp, power... with SIMD code that is a few ulp off,
differently on different CPUs (SVML on AVX-512 in NumPy 1.2x), and sums in an
order it chooses; LAPACK's eigen and singular vectors are backward stable, not
exact. A test whose expected value comes from them is right on one machine and
wrong on another. References are exact_references' (rational, correctly
rounded) or kernel_references' (fixed-order float64, each step correctly
rounded), libm through ``math`` under a stated tolerance, or exact values.

This test scans the tests' sources (not tests/compat, MDAnalysis' own tests) and
fails on a call of a NumPy function of FORBIDDEN:

- anywhere in a reference module (``*_references.py``, not a test) or in a function whose
  name starts with ``reference``, ``expected`` or ``exact``, unless the line says
  ``# reference-guard: <why>`` (LAPACK's vectors as an iteration's start);
- in a test, where an assertion (``assert``, ``assert_*(...)``, ``approx(...)``)
  uses its result, directly or through assignments made of NumPy, ``math``
  and builtin operations on it. Input generation is free: a value that only
  reaches an assertion through a call of anything else (a chemlib kernel, a
  reference function, a helper) is that function's input, and the reference
  follows it exactly whatever NumPy returned.

Reductions written as methods (``a.sum()``) cannot be told apart from exact
sums of Fraction arrays by reading the source; the references avoid them on
float64 (kernel_references sums x + y + z in order), which review checks.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
SKIPPED_DIRECTORIES = {"compat"}
PRAGMA = "# reference-guard:"
REFERENCE_PREFIXES = ("reference", "expected", "exact")

# NumPy functions whose results are not correctly rounded, depend on an order
# of summation NumPy or BLAS chooses, or come from an iterative decomposition.
FORBIDDEN = frozenset(
    [
        *(
            f"numpy.{name}"
            for name in [
                *["sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "sinc"],
                *["sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "hypot", "cbrt"],
                *["exp", "exp2", "expm1", "log", "log2", "log10", "log1p"],
                *["logaddexp", "logaddexp2", "power", "float_power"],
                *["degrees", "radians", "deg2rad", "rad2deg"],
                *["sum", "nansum", "mean", "nanmean", "average", "einsum", "trapezoid", "trapz"],
                *["dot", "inner", "vdot", "tensordot"],
            ]
        ),
        *(f"numpy.linalg.{name}" for name in ["norm", "eig", "eigh", "eigvals", "eigvalsh", "svd"]),
    ]
)
# Calls that carry taint from their arguments to their result.
PROPAGATING_MODULES = ("numpy", "math")
PROPAGATING_BUILTINS = frozenset(name for name in dir(builtins) if not name[0].isupper())


def module_aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted module or function name, from the file's imports."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """The full dotted name a call's function refers to (np.linalg.norm -> numpy.linalg.norm)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    root = aliases.get(node.id, node.id if node.id in PROPAGATING_BUILTINS else None)
    return ".".join([root, *reversed(parts)]) if root else None


class Scan:
    """Findings of one source file: (line, message)."""

    def __init__(self, source: str, path: str) -> None:
        self.lines = source.splitlines()
        self.tree = ast.parse(source, path)
        self.aliases = module_aliases(self.tree)
        self.findings: list[tuple[int, str]] = []

    def name(self, call: ast.Call) -> str | None:
        return dotted(call.func, self.aliases)

    def forbidden(self, node: ast.AST) -> Iterator[ast.Call]:
        """Forbidden calls in node, wherever they are."""
        for sub in ast.walk(node):
            if (
                isinstance(sub, ast.Call)
                and self.name(sub) in FORBIDDEN
                and PRAGMA not in self.lines[sub.lineno - 1]
            ):
                yield sub

    def tainted(self, node: ast.AST, taint: dict[str, ast.AST]) -> ast.AST | None:
        """The forbidden call whose value flows into node's, if any."""
        if isinstance(node, ast.Name):
            return taint.get(node.id)
        if isinstance(node, ast.Call):
            name = self.name(node)
            if name in FORBIDDEN:
                return None if PRAGMA in self.lines[node.lineno - 1] else node
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            if name is None and receiver is not None:  # a method: x.sum(), (a - b).astype()
                return self.tainted(receiver, taint) or self.arguments_tainted(node, taint)
            if name and (name.split(".")[0] in PROPAGATING_MODULES or "." not in name):
                return self.arguments_tainted(node, taint)
            return None  # a kernel, a reference or a helper: it computes anew
        for child in ast.iter_child_nodes(node):
            found = self.tainted(child, taint)
            if found is not None:
                return found
        return None

    def arguments_tainted(self, call: ast.Call, taint: dict[str, ast.AST]) -> ast.AST | None:
        for argument in [*call.args, *(k.value for k in call.keywords)]:
            found = self.tainted(argument, taint)
            if found is not None:
                return found
        return None

    def report(self, node: ast.AST, what: str) -> None:
        self.findings.append((node.lineno, f"{what}: {ast.unparse(node)[:80]}"))

    def check_reference(self, node: ast.AST) -> None:
        for call in self.forbidden(node):
            self.report(call, f"NumPy {self.name(call)} computes a reference")

    def is_assertion(self, call: ast.Call) -> bool:
        function = call.func.attr if isinstance(call.func, ast.Attribute) else None
        if isinstance(call.func, ast.Name):
            function = call.func.id
        return function is not None and (function.startswith("assert") or function == "approx")

    def check_assertions(self, body: list[ast.stmt]) -> None:
        """Taint analysis over one function's statements, in order."""
        taint: dict[str, ast.AST] = {}  # name -> the forbidden call its value came from
        for statement in body:
            for node in ast.walk(statement):
                if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.For):
                    value = node.iter if isinstance(node, ast.For) else node.value
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    origin = None if value is None else self.tainted(value, taint)
                    if origin is not None:
                        for target in targets:
                            for name in ast.walk(target):
                                if isinstance(name, ast.Name):
                                    taint[name.id] = origin
                culprit = None
                if isinstance(node, ast.Assert):
                    culprit = self.tainted(node.test, taint)
                elif isinstance(node, ast.Call) and self.is_assertion(node):
                    culprit = self.arguments_tainted(node, taint)
                if culprit is not None:
                    self.report(culprit, "an assertion's expected value comes from NumPy")

    def run(self, reference_module: bool) -> list[tuple[int, str]]:
        if reference_module:
            self.check_reference(self.tree)
        functions = [
            n for n in ast.walk(self.tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        for function in functions:
            if function.name.startswith(REFERENCE_PREFIXES) and not reference_module:
                self.check_reference(function)
            self.check_assertions(function.body)
        return sorted(set(self.findings))


def scan(source: str, path: str = "<test>") -> list[tuple[int, str]]:
    """Findings for one file's source."""
    name = Path(path).name
    reference_module = name.endswith("_references.py") and not name.startswith("test_")
    return Scan(source, path).run(reference_module=reference_module)


def scanned_sources() -> list[Path]:
    return sorted(
        path
        for path in TESTS.rglob("*.py")
        if not SKIPPED_DIRECTORIES & set(path.relative_to(TESTS).parts)
    )


@pytest.mark.parametrize("path", scanned_sources(), ids=lambda p: str(p.relative_to(TESTS)))
def test_no_reference_comes_from_numpy_transcendentals_or_reductions(path):
    findings = scan(path.read_text(), str(path))
    assert not findings, "\n".join(f"{path.name}:{line}: {message}" for line, message in findings)


# The guard itself, on the pattern issue 14 found and on what it must allow.
BAD = """
import exact_references as exact
import numpy as np
import chemlib

def test_angles():
    theta = np.linspace(0, 3, 10)
    y, x = np.sin(theta), np.cos(theta)
    expected = np.arctan2(np.abs(y), x)
    got = chemlib.calc_angles(u, origin, np.c_[x, y, 0 * x])
    assert np.all(np.abs(got - expected) <= 2 * np.spacing(expected))
"""


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (BAD, ["np.arctan2(np.abs(y), x)"]),
        # The expected value inline, through math and a method.
        (
            "import math\nimport numpy as np\nfrom numpy.linalg import norm\n"
            "def test_x():\n    assert f() == math.sqrt(norm(v).sum())\n",
            ["norm(v)"],
        ),
        (
            "import numpy as np\ndef test_x():\n    want = np.einsum('ij,ij->i', a, a)\n"
            "    np.testing.assert_allclose(got, want.copy())\n",
            ["np.einsum('ij,ij->i', a, a)"],
        ),
        # Transcendentals drawing a kernel's and a reference's inputs are fine.
        (BAD.replace("np.arctan2(np.abs(y), x)", "exact.atan2(np.abs(y), x)"), []),
        # Anywhere in a reference function, and only a pragma lets one stand.
        (
            "import numpy as np\ndef reference_rdf(e):\n    return np.diff(e**3) * np.exp(e)\n",
            ["np.exp(e)"],
        ),
        (
            "import numpy as np\ndef exact_x(k):\n"
            "    return np.linalg.eigh(k)  # reference-guard: a start\n",
            [],
        ),
    ],
    ids=[
        "issue 14",
        "through math and a method",
        "through a name",
        "inputs",
        "reference",
        "pragma",
    ],
)
def test_the_guard_finds_numpy_references_and_allows_inputs(source, expected):
    assert [message.split(": ", 1)[1] for _, message in scan(source)] == expected
