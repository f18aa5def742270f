"""`tandem-customer import-leads FILE`: progress on stderr, the report as JSON, exit code."""

import json

import pytest

from tandem_customer import cli
from tandem_kit.migrations import upgrade


async def test_the_cli_imports_a_file_and_prints_progress_and_the_report(
    sqlite_url, tmp_path, monkeypatch, capsys
):
    await upgrade(sqlite_url, "tandem_customer.db:migrations")
    monkeypatch.setenv("CUSTOMER_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("CUSTOMER_IMPORT_BATCH_SIZE", "10")
    rows = ["name,email,estimated_amount,currency"]
    rows += [f"Lead {i},l{i}@x{i}.com,100,EUR" for i in range(25)]
    rows += ["Bad,not-an-email,,", "Twin,l0@x0.com,,"]
    path = tmp_path / "leads.csv"
    path.write_text("\n".join(rows) + "\n")
    text = path.read_text()
    report = await cli.import_file(text, "rep-9", cli.CustomerSettings())
    assert (report["imported"], report["duplicates"], report["failed"]) == (25, 1, 1)
    assert report["errors"] == [
        {"row": 26, "field": "email", "message": "not a valid email address"}
    ]
    err = capsys.readouterr().err
    assert "10/27 rows" in err and "27/27 rows (100%)" in err


def test_the_cli_exits_non_zero_when_rows_failed(sqlite_url, tmp_path, monkeypatch, capsys):
    import asyncio

    asyncio.run(upgrade(sqlite_url, "tandem_customer.db:migrations"))
    monkeypatch.setenv("CUSTOMER_DATABASE_URL", sqlite_url)
    path = tmp_path / "leads.csv"
    path.write_text("name,email\n,a@b.com\nOk,ok@b.com\n")
    with pytest.raises(SystemExit) as exited:
        cli.main(["import-leads", str(path)])
    assert exited.value.code == 1
    assert json.loads(capsys.readouterr().out)["imported"] == 1
