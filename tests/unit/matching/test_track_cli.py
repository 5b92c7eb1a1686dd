"""Smoke runs of ``jamp matching fit`` and ``jamp bench matching --history`` on small files
(no servers: both work on files alone), and an import refused before any database."""

import csv
import json
from pathlib import Path

from typer.testing import CliRunner, Result

from jamp import app as jamp
from services.matching.bench.quality import DATA
from services.matching.scoring.factors import FACTORS
from services.matching.scoring.weights import load_weights


def small_files(folder: Path) -> dict[str, Path]:
    """Four past studies, one project and the companies that did them plus a few others."""
    with (DATA / "smartjamp_history.csv").open(encoding="utf-8") as file:
        history = list(csv.DictReader(file))[:4]
    with (DATA / "smartjamp_projects.csv").open(encoding="utf-8") as file:
        projects = list(csv.DictReader(file))
    wanted = {n for row in history + projects for n in row["implementers"].split(";")}
    with (DATA / "companies_public.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    companies = [r for r in rows if r["id"] in wanted] + [r for r in rows if r["id"] not in wanted][
        :4
    ]
    paths = {}
    for name, items in (("history", history), ("projects", projects), ("companies", companies)):
        paths[name] = folder / f"{name}.csv"
        with paths[name].open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(items[0]))
            writer.writeheader()
            writer.writerows(items)
    return paths


def test_fit_prints_its_cross_validated_figures_and_writes_a_versioned_weights_file(
    tmp_path: Path,
) -> None:
    files = small_files(tmp_path)
    arguments = ["matching", "fit", "--history", str(files["history"]),
                 "--companies", str(files["companies"]), "--out", str(tmp_path / "w")]  # fmt: skip
    result = CliRunner().invoke(jamp, arguments)
    assert result.exit_code == 0, result.output
    for method in ("fitted (LOPO)", "hand-set", "tags-only", "random"):
        assert method in result.output
    [written] = (tmp_path / "w").glob("fit-*.json")
    weights = load_weights(written)
    assert written.stem == weights.version and set(weights.values) == set(FACTORS)
    assert weights.about["cross_validated"]["hand-set"]["mrr"] > 0


def bench_arguments(tmp_path: Path, projects: str) -> list[str]:
    """``jamp bench matching`` on the small files, ``projects`` naming which one to rank."""
    files = small_files(tmp_path)
    return ["bench", "matching", "--history", str(files["history"]),
            "--projects", str(files[projects]), "--companies", str(files["companies"]),
            "--results", str(tmp_path / "results")]  # fmt: skip


def bench(tmp_path: Path, projects: str) -> Result:
    return CliRunner().invoke(jamp, bench_arguments(tmp_path, projects))


def test_the_history_benchmark_ranks_the_projects_and_writes_its_results(tmp_path: Path) -> None:
    result = bench(tmp_path, "projects")
    assert result.exit_code == 0, result.output
    assert "sj-brunei-bus" in result.output and "recall@5" in result.output
    [written] = (tmp_path / "results").glob("matching-quality-*.json")
    document = json.loads(written.read_text())
    assert set(document["ablation_mrr"]) == set(FACTORS)
    assert {"hand-set", "tags-only", "random"} <= set(document["figures"])
    assert document["ranks"]["sj-brunei-bus"]["implementers"] == ["zenmov"]


def test_the_benchmark_refuses_projects_that_are_also_history(tmp_path: Path) -> None:
    result = bench(tmp_path, "history")
    assert result.exit_code == 1 and "also in the history" in result.output
    assert not (tmp_path / "results").exists()


def test_an_import_with_a_bad_row_names_it_and_stops_before_any_database(tmp_path: Path) -> None:
    text = (DATA / "smartjamp_history.csv").read_text("utf-8").replace(",KH,", ",KX,", 1)
    (tmp_path / "bad.csv").write_text(text, encoding="utf-8")
    # No server runs here: the command must fail on the file, not on a connection.
    env = {"JAMP_MONGODB_URI": "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=100"}
    result = CliRunner().invoke(
        jamp, ["matching", "history", "import", str(tmp_path / "bad.csv")], env=env
    )
    assert result.exit_code == 1
    assert "line 3, country: 'KX' is not a country code we know" in result.output


def test_a_fiscal_year_cut_scores_the_later_studies_unseen_and_records_the_cut(
    tmp_path: Path,
) -> None:
    # The four history studies run FY2020-FY2021 and the project is FY2022: cut at FY2021,
    # only the FY2020 study is learned from and everything later is ranked.
    result = CliRunner().invoke(jamp, [*bench_arguments(tmp_path, "projects"),
                                       "--unseen-from", "FY2021"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 past studies, 4 projects" in result.output
    [written] = (tmp_path / "results").glob("matching-quality-*.json")
    document = json.loads(written.read_text())
    assert document["unseen_from"] == "FY2021"
    assert set(document["ranks"]) == {"sj-phnom-penh", "sj-davao", "sj-da-nang", "sj-brunei-bus"}


def test_a_cut_before_every_study_or_not_like_a_fiscal_year_is_refused(tmp_path: Path) -> None:
    for cut, message in (("FY2019", "no study before FY2019"), ("2021", "is not like FY2021")):
        result = CliRunner().invoke(
            jamp, [*bench_arguments(tmp_path, "projects"), "--unseen-from", cut]
        )
        assert result.exit_code == 1 and message in result.output, result.output
        assert not (tmp_path / "results").exists()


def _import(path: Path) -> Result:
    env = {"JAMP_MONGODB_URI": "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=100"}
    return CliRunner().invoke(jamp, ["matching", "history", "import", str(path)], env=env)


def test_a_studies_file_that_is_not_utf8_or_csv_is_refused_saying_why(tmp_path: Path) -> None:
    text = (DATA / "smartjamp_history.csv").read_text("utf-8")
    cases = {
        "latin1.csv": text.replace("Da Nang", "Đà Nẵng").encode("utf-16"),
        "huge.csv": text.encode() + b'x,"' + b"y" * 200_000 + b'"\n',
        "nul.csv": text.replace("Da Nang", "Da\x00Nang", 1).encode(),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        result = _import(tmp_path / name)
        assert result.exit_code == 1, (name, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), name
    assert "not UTF-8" in _import(tmp_path / "latin1.csv").output
    assert "NUL" in _import(tmp_path / "nul.csv").output


def test_a_spreadsheets_byte_order_mark_is_read_past(tmp_path: Path) -> None:
    text = (DATA / "smartjamp_history.csv").read_text("utf-8").replace(",KH,", ",KX,", 1)
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    result = _import(tmp_path / "bom.csv")  # read to the row that is wrong, not "id missing"
    assert "country: 'KX' is not a country code we know" in result.output


def test_fit_says_what_is_wrong_with_its_files_before_it_runs(tmp_path: Path) -> None:
    files = small_files(tmp_path)
    (tmp_path / "a-file").write_text("x")
    cases = [
        (["--companies", str(tmp_path / "nope.csv")], "No such file"),
        (["--out", str(tmp_path / "a-file")], "is a file, not a folder"),
    ]
    for extra, said in cases:
        arguments = ["matching", "fit", "--history", str(files["history"]),
                     "--companies", str(files["companies"]), *extra]  # fmt: skip
        result = CliRunner().invoke(jamp, arguments)
        assert result.exit_code in (1, 2), result.output
        assert isinstance(result.exception, SystemExit), result.exception
        shown = " ".join(result.output.replace("│", " ").split())  # unwrapped from its box
        assert said in shown, result.output
