"""Which app under apps/ imports which, read from the source with `ast` (nothing is imported or run).

    python scripts/import_graph.py             # the table and the cycles, as Markdown (docs/architecture.md)
    python scripts/import_graph.py --check     # exit 1 on a cycle, or on an import up the layers (LAYERS)
    python scripts/import_graph.py --root DIR --layers "a,b|c"   # another tree and its layers (the tests')

Every `import apps.x…` / `from apps.x… import` / relative import that leaves its own app counts, except in
migrations (schema history, not code paths), and so does `importlib.import_module("apps.x…")` (or
`__import__`) with a literal name: a string is no way round the check. An import is *deferred* when it sits
inside a function (run on the first call, often there to dodge a cycle at load time) and *typing* under
`if TYPE_CHECKING:`; a deferred import is a dependency all the same, so the cycle check counts it like a
module-level one. Typing-only imports are left out: nothing runs them.

LAYERS is the order the apps are built in, lowest first (docs/architecture.md says why): an app imports only
apps in the layers below its own, never one beside it or above. Where a lower app must reach a higher one, the
higher app fills a registry or listens to a domain event from its AppConfig.ready(). A new app gets its place
here; `--check` refuses an app without one.
"""

import argparse
import ast
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lowest first; apps in one layer (separated by "|") know nothing of each other.
LAYERS = (
    "core,stores,customers,orders,shipments,tracking,campaigns,integrations,feedback|reviews,rollups,dashboard|demo"
)
KINDS = ("top", "deferred", "typing")
IMPORT_CALLS = {"import_module", "__import__"}


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module a `from … import` names (relative imports resolved against `module`)."""
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_by_call(node: ast.Call) -> str | None:
    """The module `importlib.import_module("apps.x")` / `__import__("apps.x")` names, if it is a literal."""
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name in IMPORT_CALLS and node.args:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def imports_in(path: Path, root: Path) -> Iterator[tuple[list[str], str]]:
    """(modules one import statement may load, kind) for every import statement in the file."""
    module = module_name(path, root)
    is_package = path.name == "__init__.py"

    def walk(node: ast.AST, kind: str) -> Iterator[tuple[list[str], str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                yield [alias.name for alias in child.names], kind
            elif isinstance(child, ast.ImportFrom):
                target = resolve(child, module, is_package)
                # `from apps import x` / `from . import views`: the names may be modules themselves.
                yield [target, *(f"{target}.{alias.name}" for alias in child.names)], kind
            elif isinstance(child, ast.If) and is_type_checking(child.test):
                for statement in child.body:
                    yield from walk(ast.Module(body=[statement], type_ignores=[]), "typing")
                for statement in child.orelse:
                    yield from walk(ast.Module(body=[statement], type_ignores=[]), kind)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from walk(child, "typing" if kind == "typing" else "deferred")
            else:
                if isinstance(child, ast.Call) and (named := imported_by_call(child)):
                    yield [named], kind
                yield from walk(child, kind)

    yield from walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), "top")


def app_of(module: str, apps_dir: Path) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "apps" and (apps_dir / parts[1]).is_dir() else None


def app_graph(root: Path = ROOT) -> dict[str, dict[str, dict[str, int]]]:
    """graph[app][imported app][kind] = how many import statements of `app` reach into `imported app`."""
    apps_dir = root / "apps"
    graph: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: dict.fromkeys(KINDS, 0)))
    for app_dir in sorted(p for p in apps_dir.iterdir() if (p / "__init__.py").exists()):
        graph[app_dir.name]  # an app that imports no other still appears
        for path in sorted(app_dir.rglob("*.py")):
            if "migrations" in path.relative_to(app_dir).parts:
                continue
            for modules, kind in imports_in(path, root):
                for other in {app_of(imported, apps_dir) for imported in modules} - {None, app_dir.name}:
                    graph[app_dir.name][other][kind] += 1
    return graph


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one app (Tarjan): each is a set of apps that reach
    each other through imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(app: str) -> None:
        index[app] = low[app] = len(index)
        stack.append(app)
        for other in sorted(edges.get(app, ())):
            if other not in index:
                visit(other)
                low[app] = min(low[app], low[other])
            elif other in stack:
                low[app] = min(low[app], index[other])
        if low[app] == index[app]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == app:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for app in sorted(edges):
        if app not in index:
            visit(app)
    return sorted(found)


def edges_of(graph, kinds: tuple[str, ...]) -> dict[str, set[str]]:
    return {app: {other for other, n in deps.items() if any(n[k] for k in kinds)} for app, deps in graph.items()}


def parse_layers(text: str) -> dict[str, int]:
    """{app: its layer's height} from "a,b|c,d" (b and c share a layer)."""
    return {app.strip(): height for height, layer in enumerate(text.split(",")) for app in layer.split("|")}


def layer_problems(graph, layers: dict[str, int]) -> list[str]:
    """Apps with no layer, and imports (deferred ones included) that do not go down the layers."""
    problems = [f"{app} has no place in the layers: add it to LAYERS" for app in sorted(graph) if app not in layers]
    for app, deps in sorted(graph.items()):
        for other, n in sorted(deps.items()):
            if (n["top"] or n["deferred"]) and app in layers and other in layers and layers[other] >= layers[app]:
                side = "beside" if layers[other] == layers[app] else "above"
                problems.append(f"{app} imports {other}, which is {side} it in the layers")
    return problems


def markdown(graph) -> str:
    lines = [
        "| app | imports at module level | only inside functions (deferred) |",
        "|---|---|---|",
    ]
    for app in sorted(graph):
        deps = graph[app]
        top = sorted(other for other, n in deps.items() if n["top"])
        deferred = sorted(other for other, n in deps.items() if n["deferred"] and not n["top"])
        lines.append(f"| {app} | {', '.join(top) or '-'} | {', '.join(deferred) or '-'} |")
    all_edges = edges_of(graph, ("top", "deferred"))
    pairs = sorted((a, b) for a, targets in all_edges.items() for b in targets if a < b and a in all_edges.get(b, ()))
    deferred_count = sum(n["deferred"] for deps in graph.values() for n in deps.values())
    layers = " → ".join(" | ".join(layer.split("|")) for layer in LAYERS.split(","))
    lines += [
        "",
        f"Layers, lowest first (LAYERS; `--check` holds every import to them): {layers}.",
        "",
        f"Apps importing each other ({len(pairs)} pairs): " + (", ".join(f"{a} ↔ {b}" for a, b in pairs) or "none"),
        "",
        f"Imports of another app inside a function: {deferred_count}.",
        "",
        "Cycles (apps that reach each other, counting deferred imports): "
        + ("; ".join("{" + ", ".join(c) + "}" for c in cycles(all_edges)) or "none"),
        "",
        "Cycles through module-level imports only: "
        + ("; ".join("{" + ", ".join(c) + "}" for c in cycles(edges_of(graph, ("top",)))) or "none"),
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 on a cycle or an import up the layers")
    parser.add_argument("--root", type=Path, default=ROOT, help="the project whose apps/ is read (default: this one)")
    parser.add_argument("--layers", default=LAYERS, help='the layers, lowest first: "a,b|c" (default: LAYERS)')
    args = parser.parse_args()
    graph = app_graph(args.root.resolve())
    if args.check:
        found = cycles(edges_of(graph, ("top", "deferred")))
        for component in found:
            print(
                "import cycle between apps (counting imports inside functions): " + ", ".join(component),
                file=sys.stderr,
            )
        problems = layer_problems(graph, parse_layers(args.layers))
        for problem in problems:
            print(problem, file=sys.stderr)
        if found or problems:
            return 1
        print(
            f"No import cycle between the {len(graph)} apps, and every import goes down the layers "
            "(imports inside functions counted)."
        )
        return 0
    print(markdown(graph))
    return 0


if __name__ == "__main__":
    sys.exit(main())
