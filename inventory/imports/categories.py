"""Category imports: a path per row; missing parents must be in the file or stored, created depth by depth."""

from inventory.audit import bulk_create_with_history
from inventory.imports.base import StockroomResource
from inventory.imports.lookups import ids_by
from inventory.imports.parsers import ParsedFile
from inventory.imports.plan import NewRow, Plan
from inventory.models import Category
from inventory.models.catalog import CATEGORY_PATH_SEPARATOR as SEP

BATCH = 2000
MAX_DEPTH = 8
NAME_LENGTH = 100


class CategoryImport(StockroomResource):
    """Plans and applies category paths; an existing path is unchanged, a new one needs its parent."""

    def plan(self, parsed: ParsedFile, plan: Plan, *, user) -> None:
        paths = {}
        for number, values in self.clean_rows(parsed, plan):
            path = _normalised(number, values["path"], plan)
            if path is not None:
                paths[path] = number
        prefixes = {SEP.join(p.split(SEP)[:n]) for p in paths for n in range(1, MAX_DEPTH + 1)}
        existing = ids_by(Category, "path", prefixes | set(paths))
        for path, number in sorted(paths.items(), key=lambda item: item[1]):
            if path in existing:
                plan.same(number, path)
                continue
            parent = path.rpartition(SEP)[0]
            if parent and parent not in existing and parent not in paths:
                message = f"Parent category “{parent}” does not exist; add a row for it or create it first."
                plan.error(number, "path", message)
                continue
            plan.create(NewRow(number, {"path": path}), path)

    def apply(self, plan: Plan, *, user, reason: str, on_progress) -> None:
        """Create new categories depth by depth so each parent exists before its children."""
        by_depth: dict[int, list[str]] = {}
        for row in plan.creates:
            by_depth.setdefault(row.values["path"].count(SEP), []).append(row.values["path"])
        done = 0
        for depth in sorted(by_depth):
            paths = by_depth[depth]
            parents = ids_by(Category, "path", (p.rpartition(SEP)[0] for p in paths if depth))
            objects = []
            for path in paths:
                parent, _, name = path.rpartition(SEP)
                objects.append(Category(name=name, parent_id=parents.get(parent), path=path))
            bulk_create_with_history(objects, Category, user=user, reason=reason, batch_size=BATCH)
            done += len(objects)
            if on_progress:
                on_progress(done)


def _normalised(number: int, raw: str, plan: Plan) -> str | None:
    parts = [part.strip() for part in raw.split(SEP)]
    if not all(parts):
        plan.error(number, "path", f"“{raw}” has an empty name between slashes.")
        return None
    if any(len(part) > NAME_LENGTH for part in parts):
        plan.error(number, "path", f"A category name has at most {NAME_LENGTH} characters.")
        return None
    return SEP.join(parts)
