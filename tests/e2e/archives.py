# archives.py: the archives the e2e tests build in Python (import it with sys.path from KS_SOURCE_DIR/tests/e2e).
import io
import tarfile
import zipfile


def tar(members):
    """A ustar tar of (name, bytes) members."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            i = tarfile.TarInfo(name)
            i.size = len(data)
            t.addfile(i, io.BytesIO(data))
    return b.getvalue()


def zipped(members):
    """A deflated zip of (name, bytes) members."""
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return b.getvalue()
