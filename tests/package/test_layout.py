"""The package's layout: no import cycles between its modules (counting the
imports inside functions too); the core never imports the benchmarks, the
CLI or the integrations."""
import ast
import os

import trainingsample

ROOT = os.path.dirname(trainingsample.__file__)


def _modules():
    out = {}
    for dirpath, _, files in os.walk(ROOT):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(dirpath, f)
                name = "trainingsample." + os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                out[name.removesuffix(".__init__")] = path
    return out


def _imports(name, path, modules):
    package = name if path.endswith("__init__.py") else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            # "from . import x" imports x (its package is already loading)
            targets = ([base] if node.module else []) + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in modules and t != name}
    return found


def test_no_import_cycles():
    modules = _modules()
    graph = {m: _imports(m, p, modules) for m, p in modules.items()}
    cycles = []

    def visit(m, stack, seen):
        for n in sorted(graph[m]):
            if n in stack:
                cycles.append(stack[stack.index(n):] + [n])
            elif n not in seen:
                seen.add(n)
                visit(n, stack + [n], seen)

    for m in sorted(graph):
        visit(m, [m], {m})
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles[:10])


# the layers outside the core: each may import the core (and the CLI the
# integrations it offers), the core imports none of them
OUTSIDE = ("trainingsample.bench", "trainingsample.cli", "trainingsample.integrations", "trainingsample.__main__")


def _under(m, packages):
    return any(m == o or m.startswith(o + ".") for o in packages)


def _outside(m):
    return _under(m, OUTSIDE)


def test_the_core_never_imports_the_benchmarks_cli_or_integrations():
    modules = _modules()
    assert {m for m in modules if _outside(m)} >= {"trainingsample.bench", "trainingsample.cli.preprocess",
                                                    "trainingsample.integrations.torch", "trainingsample.integrations.ray"}
    bad = {m: sorted(n for n in _imports(m, p, modules) if _outside(n))
           for m, p in modules.items() if not _outside(m)}
    assert not {m: v for m, v in bad.items() if v}


def test_only_the_benchmarks_import_the_benchmarks():
    modules = _modules()
    for m, p in modules.items():
        if not m.startswith("trainingsample.bench"):
            assert not {n for n in _imports(m, p, modules) if n.startswith("trainingsample.bench")}, m


# The argument checks live in _validate; its docstring names the two other
# kinds of message (io's DecodeError, which is no TypeError/ValueError call,
# and the CLI's flag checks).  Only these modules may raise either.
CHECKS_ELSEWHERE = ("trainingsample._validate", "trainingsample.cli", "trainingsample.bench")


def _raises_of_argument_errors(path):
    """(line, exception name) of each ``raise TypeError(...)`` or
    ``raise ValueError(...)`` in the file."""
    out = []
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            f = node.exc.func
            if isinstance(f, ast.Name) and f.id in ("TypeError", "ValueError"):
                out.append((node.lineno, f.id))
    return out


def test_argument_checks_live_in_validate():
    modules = _modules()
    assert _raises_of_argument_errors(modules["trainingsample._validate"])  # the rule sees raises
    bad = {m: _raises_of_argument_errors(p) for m, p in modules.items()
           if not _under(m, CHECKS_ELSEWHERE)}
    assert not {m: v for m, v in bad.items() if v}, "raise outside _validate: " + repr({m: v for m, v in bad.items() if v})
