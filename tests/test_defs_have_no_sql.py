"""No Python module under sentiment_assets/defs/ holds a SQL statement: assets read and write
through the warehouse contract, and real SQL lives in the domain packages or in dbt."""

import ast
import re
from pathlib import Path

DEFS = Path(__file__).resolve().parents[1] / "sentiment_assets" / "defs"
KEYWORD = re.compile(r"^\s*(SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|MERGE|COPY)\s", re.IGNORECASE)
_OBJECT = r"(?:temp\w*\s+)?(?:table|view|schema|index|sequence|macro|type)\b"
# What must follow each keyword for a string written in lower or mixed case to be a statement
# (`Select a facet`, `Update the card` are prose); a keyword in capitals is SQL on its own.
STATEMENT_SHAPE = {
    "select": r"\bfrom\b",
    "with": r"\bas\s*\(",
    "insert": r"^\s*insert\s+(?:or\s+\w+\s+)?into\b",
    "update": r"\bset\b",
    "delete": r"^\s*delete\s+from\b",
    "create": rf"^\s*create\s+(?:or\s+replace\s+)?{_OBJECT}",
    "drop": rf"^\s*drop\s+{_OBJECT}",
    "alter": rf"^\s*alter\s+{_OBJECT}",
    "merge": r"^\s*merge\s+into\b",
    "copy": r"\b(?:to|from)\b",
}


def looks_like_sql(text: str) -> bool:
    """Whether `text` starts (after whitespace) with a SQL statement."""
    match = KEYWORD.match(text)
    if match is None:
        return False
    keyword = match.group(1)
    return keyword.isupper() or re.search(STATEMENT_SHAPE[keyword.lower()], text, re.IGNORECASE) is not None


def sql_strings(path: Path) -> list[str]:
    """`file:line` of each string constant in the module that starts like a SQL statement; an
    f-string is read whole, with each replacement field standing for a name."""
    tree = ast.parse(path.read_text(), filename=str(path))
    f_string_parts = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                part.value if isinstance(part, ast.Constant) and isinstance(part.value, str) else "name"
                for part in node.values
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in f_string_parts:
            text = node.value
        else:
            continue
        if looks_like_sql(text):
            found.append(node.lineno)
    return [f"{path}:{line}" for line in sorted(found)]


def test_no_module_under_defs_contains_a_sql_statement():
    modules = sorted(DEFS.rglob("*.py"))

    found = [hit for module in modules for hit in sql_strings(module)]

    assert len(modules) > 10, "the scan found the defs modules"
    assert found == [], "SQL statements in defs (move them behind the warehouse contract or into a domain module)"


def test_the_scan_finds_sql_in_plain_and_f_strings_and_names_the_line(tmp_path):
    module = tmp_path / "asset_with_sql.py"
    module.write_text(
        'TITLE = "Select a facet to compare"\n'
        'query = """\n    select review_id from raw_reviews"""\n'
        "def read(table, column):\n"
        '    return f"select {column} from {table} WHERE x = 1"\n'
        'DDL = "CREATE TABLE t (x INT)"\n'
    )

    assert sql_strings(module) == [f"{module}:2", f"{module}:5", f"{module}:6"]


def test_the_scan_ignores_prose_that_starts_with_a_sql_word(tmp_path):
    module = tmp_path / "asset_with_prose.py"
    module.write_text(
        'HELP = "Select a facet to compare"\n'
        'NOTE = f"Update the model card of {3} models"\n'
        'WORDS = ["create", "Withdrawn labels", "Drop rows that failed"]\n'
    )

    assert sql_strings(module) == []
