"""A PEP 517 build backend in the standard library alone, so that

    python3 -m venv VENV && VENV/bin/pip install --no-index --no-build-isolation ./python

works offline in a fresh virtual environment. The setuptools that Python 3.11's venv brings (65.5)
cannot build a wheel by itself: its bdist_wheel lives in the separate `wheel` package until
setuptools 70.1, and neither --no-index nor --no-build-isolation will fetch it. The package is
pure Python with no dependencies, so its wheel is a zip of the package's files and the metadata
files the wheel format requires (PEP 427, PEP 376's RECORD, core metadata 2.1).
"""
import base64
import hashlib
import io
import os
import re
import tarfile
import tomllib
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "alphaalign"
# Fixed timestamps: the same sources give the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _project() -> dict:
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]


def _version() -> str:
    """The package's own __version__, the one place the version is written."""
    with open(os.path.join(ROOT, PACKAGE, "__init__.py"), encoding="utf-8") as f:
        found = re.search(r'^__version__ = "([^"]+)"$', f.read(), re.MULTILINE)
    if not found:
        raise RuntimeError(f"{PACKAGE}/__init__.py does not set __version__")
    return found.group(1)


def _package_files() -> list[str]:
    """The package's source files, relative to ROOT, sorted."""
    out = []
    for folder, dirs, files in os.walk(os.path.join(ROOT, PACKAGE)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        out.extend(os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/") for name in files if name.endswith(".py"))
    return sorted(out)


def _read(name: str) -> bytes:
    with open(os.path.join(ROOT, name), "rb") as f:
        return f.read()


def _metadata(project: dict, version: str) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {version}",
        f"Summary: {project['description']}",
        f"Requires-Python: {project['requires-python']}",
        "Description-Content-Type: text/markdown",
    ]
    return "\n".join(lines) + "\n\n" + _read(project["readme"]).decode("utf-8")


def _zip_entry(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, ZIP_TIME)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    version = _version()
    dist_info = f"{project['name']}-{version}.dist-info"
    files = {name: _read(name) for name in _package_files()}
    files[f"{dist_info}/METADATA"] = _metadata(project, version).encode("utf-8")
    files[f"{dist_info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: wheel_builder\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{dist_info}/top_level.txt"] = f"{PACKAGE}\n".encode("ascii")
    record = [_record_line(name, data) for name, data in files.items()] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode("utf-8")
    wheel_name = f"{project['name']}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w") as archive:
        for name, data in files.items():
            _zip_entry(archive, name, data)
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    project = _project()
    version = _version()
    base = f"{project['name']}-{version}"
    sources = ["pyproject.toml", project["readme"], "build_backend/wheel_builder.py", *_package_files()]
    members = {name: _read(name) for name in sources}
    members["PKG-INFO"] = _metadata(project, version).encode("utf-8")
    sdist_name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, sdist_name), "w:gz", format=tarfile.PAX_FORMAT) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(f"{base}/{name}")
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return sdist_name
