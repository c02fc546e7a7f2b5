"""No write path skips history: no plain `.update()` / bulk write on an audited model outside inventory/audit.py."""

import ast
from pathlib import Path

from django.apps import apps

from inventory.audit import is_audited

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ["inventory", "backoffice"]
# The one module allowed to bulk-write audited models: it writes their history alongside.
ALLOWED = {
    Path("inventory/audit.py"),
    # Synthetic benchmark data loaded with COPY/bulk inserts; it deliberately has no history.
    Path("inventory/management/commands/seed_scale.py"),
}


def _model_names() -> tuple[set[str], set[str]]:
    audited, other = set(), set()
    for model in apps.get_models():
        (audited if is_audited(model) or model.__name__.startswith("Historical") else other).add(model.__name__)
    return audited, other


def _root_name(node: ast.AST) -> str | None:
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


def unaudited_writes(source: str, filename: str = "<source>") -> list[str]:
    """`file:line: code` for each `.update(...)` that may hit an audited model, and each bulk write on one.

    `X.objects...update()` is fine when X is a model without history; any other
    receiver (a `queryset` variable, `self.get_queryset()`) is reported, since
    it cannot be told apart from an audited queryset.
    """
    audited, other = _model_names()
    problems = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, node.func.value
        root = _root_name(receiver)
        if method == "update" and node.keywords and not node.args and root not in other:
            problems.append(f"{filename}:{node.lineno}: {ast.unparse(node)}")
        elif method in ("bulk_update", "bulk_create") and root in audited:
            problems.append(f"{filename}:{node.lineno}: {ast.unparse(node)}")
    return problems


def test_no_plain_update_or_bulk_write_on_audited_models_in_the_code():
    problems = []
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts or relative in ALLOWED:
                continue
            problems += unaudited_writes(path.read_text(), str(relative))

    assert problems == [], "Use inventory.audit.bulk_update_with_history instead:\n" + "\n".join(problems)


def test_the_check_finds_a_queryset_update_and_a_bulk_write_on_an_audited_model():
    source = """
def deactivate(modeladmin, request, queryset):
    queryset.update(is_active=False)
    Product.objects.filter(pk=1).update(name="x")
    StockLevel.objects.bulk_update(levels, ["bin"])
"""
    assert [problem.split(":")[1] for problem in unaudited_writes(source)] == ["3", "4", "5"]


def test_the_check_allows_updates_on_models_without_history_and_dict_updates():
    source = """
DataJob.objects.filter(pk=1).update(rows_done=5)
context.update({"title": "x"})
StockMovement.objects.bulk_create(movements)
"""
    assert unaudited_writes(source) == []
