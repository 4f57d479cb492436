"""Which files are read: a path named on the command line is read whatever it is; a file found
in a folder must be a regular file inside that folder (docs/inputs.md, "Files and folders")."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hostile_cli import run

from netreach.loader.files import found_file

Cap = pytest.CaptureFixture[str]
NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
REFUSED = "(files found in a folder must be regular files; name it on the command line to read it)"
OUTSIDE = (
    "(a link found in a folder must stay inside it; name the file on the command line to read it)"
)


def folder(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    (d / "ok.yaml").write_text(NS.format(name="ok"))
    return d


def problems(capsys: Cap, *args: str) -> list[str]:
    r = run(capsys, "validate", *args)
    assert r.code == 2, r.err
    return r.problems


def test_link_to_dev_stdout_does_not_hang(tmp_path: Path) -> None:
    """The finding: `zz.yaml -> /dev/stdout` made `validate dir | cat` wait forever (reading
    the pipe netreach itself writes to). Run it as CI would, stdout a pipe."""
    d = folder(tmp_path)
    (d / "zz.yaml").symlink_to("/dev/stdout")
    proc = subprocess.run(
        [sys.executable, "-c", "from netreach.cli import main; main()", "validate", str(d)],
        capture_output=True,  # stdout is a pipe, as in `validate dir | cat`
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"{d}/zz.yaml: a symbolic link to /dev/stdout, outside {d}: not read {OUTSIDE}",
        "netreach: 1 problem in the input",
    ]


def test_fifo_in_a_folder_is_refused_unopened(capsys: Cap, tmp_path: Path) -> None:
    d = folder(tmp_path)
    os.mkfifo(d / "pipe.yaml")  # nobody writes: opening it to read would block
    assert problems(capsys, str(d)) == [f"{d}/pipe.yaml: a FIFO (named pipe): not read {REFUSED}"]


def test_socket_in_a_folder_is_refused(capsys: Cap, tmp_path: Path) -> None:
    d = folder(tmp_path)
    # AF_UNIX paths are short: bind from inside the folder.
    cwd = os.getcwd()
    os.chdir(d)
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.bind("s.yaml")
            got = problems(capsys, str(d))
    finally:
        os.chdir(cwd)
    assert got == [f"{d}/s.yaml: a socket: not read {REFUSED}"]


def test_device_found_in_a_folder_is_refused() -> None:
    """Creating a device node needs privileges; /dev holds real ones."""
    assert found_file("/dev/null", "/dev", "/dev") == (
        f"a character device: not read {REFUSED}",
        "",
    )


def test_link_to_a_fifo_inside_the_folder_is_refused(capsys: Cap, tmp_path: Path) -> None:
    d = folder(tmp_path)
    os.mkfifo(d / "pipe")
    (d / "p.yaml").symlink_to("pipe")
    assert problems(capsys, str(d)) == [
        f"{d}/p.yaml: a symbolic link to a FIFO (named pipe) (pipe): not read {REFUSED}"
    ]


@pytest.mark.parametrize(
    "target", ["/dev/zero", "/proc/self/environ", "/etc/hostname", "../x.yaml"]
)
def test_link_leaving_the_folder_is_refused(capsys: Cap, tmp_path: Path, target: str) -> None:
    """Reading a file outside the checkout could quote it (secrets) in an error message."""
    d = folder(tmp_path)
    (tmp_path / "x.yaml").write_text(NS.format(name="outside"))
    (d / "evil.yaml").symlink_to(target)
    assert problems(capsys, str(d)) == [
        f"{d}/evil.yaml: a symbolic link to {target}, outside {d}: not read {OUTSIDE}"
    ]


def test_link_loop_is_refused(capsys: Cap, tmp_path: Path) -> None:
    d = folder(tmp_path)
    (d / "a.yaml").symlink_to("b.yaml")
    (d / "b.yaml").symlink_to("a.yaml")
    assert problems(capsys, str(d)) == [
        f"{d}/a.yaml: a symbolic link to b.yaml that cannot be followed: "
        "Too many levels of symbolic links",
        f"{d}/b.yaml: a symbolic link to a.yaml that cannot be followed: "
        "Too many levels of symbolic links",
    ]


def test_dangling_link_is_refused(capsys: Cap, tmp_path: Path) -> None:
    d = folder(tmp_path)
    (d / "gone.yaml").symlink_to("nowhere.yaml")
    assert problems(capsys, str(d)) == [
        f"{d}/gone.yaml: a symbolic link to nowhere.yaml that cannot be followed: "
        "No such file or directory"
    ]


def test_link_to_a_regular_file_inside_the_folder_is_read(capsys: Cap, tmp_path: Path) -> None:
    d = folder(tmp_path)
    (d / "real").mkdir()
    (d / "real" / "data.txt").write_text(NS.format(name="linked"))
    (d / "alias.yaml").symlink_to("real/data.txt")
    r = run(capsys, "validate", str(d))
    assert r.code == 0, r.err
    assert r.out.startswith("valid: 2 namespaces")


def test_link_to_a_folder_is_not_followed(capsys: Cap, tmp_path: Path) -> None:
    """As kubectl's walk: the folder's files are read where they are, if at all."""
    d = folder(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.yaml").write_text(NS.format(name="elsewhere"))
    (d / "sub").symlink_to(tmp_path / "elsewhere")
    r = run(capsys, "validate", str(d))
    assert r.code == 0, r.err
    assert r.out.startswith("valid: 1 namespaces")


def test_explicit_paths_are_read_whatever_they_are(capsys: Cap, tmp_path: Path) -> None:
    """A link out of the folder, a FIFO: named on the command line, the user chose them."""
    outside = tmp_path / "outside.yaml"
    outside.write_text(NS.format(name="outside"))
    link = tmp_path / "link.yaml"
    link.symlink_to(outside)
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "w") as f:
            f.write(NS.format(name="piped"))

    writer = threading.Thread(target=feed)
    writer.start()
    r = run(capsys, "validate", str(link), str(fifo))
    writer.join(timeout=30)
    assert r.code == 0, r.err
    assert r.out.startswith("valid: 2 namespaces")


def test_non_utf8_file_name_is_read_and_shown_escaped(capsys: Cap, tmp_path: Path) -> None:
    d = folder(tmp_path)
    bad = os.fsdecode(bytes(d) + b"/bad\xff.yaml")
    with open(bad, "w") as f:
        f.write(NS.format(name="Bad_Name"))
    assert problems(capsys, str(d))[0].startswith(f"{d}/bad\\xff.yaml:4: Namespace Bad_Name:")
