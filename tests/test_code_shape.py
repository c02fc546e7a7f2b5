"""The code keeps a shape people can read: no function or method above radon's grade C (complexity 20)."""

from pathlib import Path

from radon.complexity import cc_rank, cc_visit

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("inventory", "backoffice")


def test_no_function_is_more_complex_than_grade_c():
    too_complex = []
    for package in PACKAGES:
        for source in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in source.parts:
                continue
            for block in cc_visit(source.read_text(encoding="utf-8")):
                if cc_rank(block.complexity) > "C":
                    where = source.relative_to(ROOT)
                    too_complex.append(f"{where}:{block.lineno} {block.fullname} {cc_rank(block.complexity)}")
    assert not too_complex, "Split these functions: " + "; ".join(too_complex)
