import io

import pytest
from PIL import Image


@pytest.fixture(autouse=True)
def site_url(settings):
    """Absolute links (emails, the feed) on a public-looking address: Google's schema wants a dotted host."""
    settings.SITE_URL = "https://reviews.afterglow.example"
    return settings.SITE_URL


def jpeg_bytes(*, size=(64, 48), colour=(200, 120, 40), exif=None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    if exif is not None:
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def png_bytes(*, size=(40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 200, 10, 128)).save(out, format="PNG")
    return out.getvalue()
