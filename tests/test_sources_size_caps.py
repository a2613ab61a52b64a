"""Size caps while streaming: a value over `max_field_chars` quarantines its row, a line or record
over `max_record_chars` refuses the file naming the line, and a gzip bomb is refused in bounded
memory."""

import gzip
import subprocess
import sys
import textwrap

import pytest
from hostile_files import SPEC, jsonl, read, reasons, refusal, write

from sentiment_assets.sources import SourceSpec

# 4. Size caps and the gzip bomb


def write_gzip_bomb(path, head: bytes, line_bytes: int) -> None:
    """`head` then one line of `line_bytes` x's, as concatenated gzip members (gzip reads them as
    one stream): one 64 MiB member compressed once and repeated, so 2.4 GB take 2.3 MB and 0.3 s."""
    block = 64 << 20
    member = gzip.compress(b"x" * block, compresslevel=9)
    with path.open("wb") as out:
        out.write(gzip.compress(head))
        for _ in range(line_bytes // block):
            out.write(member)
        out.write(gzip.compress(b'"}\n' if path.name.endswith(".jsonl.gz") else b"\n"))


# Run in a child whose address space is capped at 1 GiB: reading the 2.4 GB line whole fails there.
READ_UNDER_A_MEMORY_CAP = textwrap.dedent("""
    import resource, sys
    cap = 1 << 30
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    from datetime import datetime, timezone
    from sentiment_assets.sources import ColumnMapping, SourceSpec, gather, read_reviews
    spec = SourceSpec(preset="generic", mapping=ColumnMapping(review_id="id", review_body="text"))
    [result] = gather(read_reviews(sys.argv[1], spec, datetime(2026, 1, 1, tzinfo=timezone.utc))).values()
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork + exec,
    # so under a large pytest process it reports the parent's peak, not this reader's.
    peak_kib = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    peak_mib = peak_kib // 1024
    print(f"peak_mib={peak_mib}")
    print(f"error={result.summary.error}")
""")


@pytest.mark.parametrize("name, head", [("bomb.csv.gz", b"id,text\na,"), ("bomb.jsonl.gz", b'{"id": "a", "text": "')])
def test_a_gzip_bomb_of_one_2_4_gb_line_is_refused_naming_the_line_in_under_1_gb_of_memory(tmp_path, name, head):
    path = tmp_path / name
    write_gzip_bomb(path, head, line_bytes=36 * (64 << 20))  # 2.4 GB
    assert path.stat().st_size < 3_000_000
    child = subprocess.run(
        [sys.executable, "-c", READ_UNDER_A_MEMORY_CAP, str(path)], capture_output=True, text=True, timeout=120
    )
    assert child.returncode == 0, child.stderr[-2000:]
    peak = int(child.stdout.split("peak_mib=")[1].split()[0])
    error = child.stdout.split("error=", 1)[1]
    line = 2 if name.endswith(".csv.gz") else 1
    assert error.startswith(f"{path}: line {line} is longer than 4,194,304 characters (max_record_chars")
    assert peak < 1024


def test_the_size_caps_are_set_in_the_source_spec_and_a_longer_line_names_the_cap(tmp_path):
    path = write(tmp_path, "long.csv", "id,text,stars\na," + "y" * 300 + ",5\nb,short,4\n")
    assert ": line 2 is longer than 200 characters" in refusal(
        path, SourceSpec(preset="generic", mapping=SPEC.mapping, max_field_chars=100, max_record_chars=200)
    )
    assert len(read(path, SourceSpec(preset="generic", mapping=SPEC.mapping, max_record_chars=400)).accepted) == 2
    with pytest.raises(ValueError, match="max_field_chars and max_record_chars must be >= 1"):
        SourceSpec(max_record_chars=0)


def test_a_record_spanning_lines_past_the_cap_is_refused_naming_the_line_it_started_on(tmp_path):
    path = write(tmp_path, "spanning.csv", 'id,text,stars\na,ok,5\nb,"' + "many\n" * 100 + '",5\n')
    message = refusal(
        path, SourceSpec(preset="generic", mapping=SPEC.mapping, max_field_chars=50, max_record_chars=200)
    )
    assert ": line 3: the record starting on this line is longer than 200 characters by line" in message


def test_a_value_longer_than_the_field_cap_is_quarantined_naming_its_column(tmp_path):
    spec = SourceSpec(preset="generic", mapping=SPEC.mapping, max_field_chars=100)
    csv_path = write(tmp_path, "wide.csv", f"id,text,stars\na,{'y' * 101},5\nb,{'y' * 100},4\n")
    json_path = write(
        tmp_path,
        "wide.jsonl",
        jsonl([{"id": "a", "text": "y" * 101, "stars": 5}, {"id": "b", "text": "y" * 100, "stars": 4}]),
    )
    for path in (csv_path, json_path):
        result = read(path, spec)
        assert result.accepted["review_id"].tolist() == ["b"]
        assert reasons(result) == {1: "column 'text' holds more than 100 characters (max_field_chars)"}
