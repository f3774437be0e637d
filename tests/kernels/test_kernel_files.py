"""The kernels' dependency rule (see trainingsample/kernels/__init__.py):
numba's cache sees edits to a kernel's own file only, so every file of
trainingsample/kernels imports only from that package and records the hash
of each file it imports from in DEPENDS_ON; a stale hash fails here.

``python tests/kernels/test_kernel_files.py --update`` rewrites the hashes (which
edits those files, so their cached machine code is compiled again)."""
import ast
import hashlib
import pathlib
import re
import sys

KERNELS = pathlib.Path(__file__).resolve().parents[2] / "src" / "trainingsample" / "kernels"
LINE = re.compile(r"^DEPENDS_ON = \{.*\}$", re.M)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


STDLIB = ("platform", "contextlib", "os", "fcntl")


def imported_files(path):
    """The files of the kernels package that ``path`` imports; raises on an
    import from outside it other than numpy, numba, llvmlite and the standard
    library modules STDLIB (used by _jit's Python-level code: the CPU name,
    the cache's lock; no compiled code depends on them)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            if node.level != 1 or not node.module:
                raise AssertionError(f"{path.name}: 'from {'.' * node.level}{node.module or ''} import' leaves the kernels package")
            found.add(node.module + ".py")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            outside = [n for n in names if n.split(".")[0] not in ("numpy", "numba", "llvmlite") + STDLIB]
            if outside:
                raise AssertionError(f"{path.name} imports {outside}: kernel files import only numpy, numba, llvmlite and each other")
    return found


def recorded(path):
    match = LINE.search(path.read_text())
    return ast.literal_eval(match.group(0).split("=", 1)[1]) if match else None


def expected(path):
    return {name: digest(path.parent / name) for name in sorted(imported_files(path))}


def files():
    return sorted(p for p in KERNELS.glob("*.py") if p.name != "__init__.py")


def test_every_kernel_file_records_the_hashes_of_what_it_imports():
    assert {p.name for p in files()} >= {"_jit.py", "color.py", "resample.py", "fused.py", "tasks.py"}, KERNELS
    stale = []
    for path in files():
        want = expected(path)
        got = recorded(path)
        if want and got != want:
            stale.append(f"{path.name}: DEPENDS_ON = {got} should be {want}")
        if not want and got is not None:
            stale.append(f"{path.name} imports nothing of the package but records {got}")
    assert not stale, "stale kernel dependencies (python tests/kernels/test_kernel_files.py --update):\n" + "\n".join(stale)


def test_a_changed_dependency_is_caught(tmp_path):
    """The check fails for a file whose dependency changed after it recorded
    the hash: copy the package, edit _jit.py, and resample.py is stale."""
    for p in KERNELS.glob("*.py"):
        (tmp_path / p.name).write_bytes(p.read_bytes())
    assert recorded(tmp_path / "resample.py") == expected(tmp_path / "resample.py")
    (tmp_path / "_jit.py").write_text((tmp_path / "_jit.py").read_text() + "\n# edited\n")
    for name in ("resample.py", "color.py", "tasks.py"):
        assert recorded(tmp_path / name)["_jit.py"] != expected(tmp_path / name)["_jit.py"], name
    assert recorded(tmp_path / "fixed_point.py") is None  # imports nothing, records nothing


def test_the_package_imports_every_kernel_family():
    from trainingsample import kernels

    assert sorted(m.__name__.rsplit(".", 1)[1] + ".py" for m in kernels.FAMILIES) == sorted(
        p.name for p in files() if p.name not in ("_jit.py", "fixed_point.py"))
    assert len(kernels.dispatchers()) > 40


def update():
    """Rewrite DEPENDS_ON in dependency order, so an importer records its
    dependencies' updated contents."""
    done, order = set(), []

    def visit(path):
        if path.name in done:
            return
        done.add(path.name)
        for name in sorted(imported_files(path)):
            visit(KERNELS / name)
        order.append(path)

    for path in files():
        visit(path)
    for path in order:
        want = expected(path)
        if not want:
            continue
        text = path.read_text()
        line = "DEPENDS_ON = {" + ", ".join(f'"{k}": "{v}"' for k, v in want.items()) + "}"
        new = LINE.sub(line, text, count=1)
        if new != text:
            path.write_text(new)
            print("updated", path.name)


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        update()
    else:
        sys.exit(__doc__)
