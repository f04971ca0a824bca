"""Buyers' photos: checked by decoding them (never by name or declared type), re-encoded so no metadata
(EXIF location, camera serials, comments) survives, and stored under a random name through Django's
storage API (default_storage), so the storage can be a disk or a bucket."""

import io
import secrets
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
# A decompression bomb is refused before its pixels are read: a small file can claim a huge picture.
MAX_SOURCE_PIXELS = 40_000_000
# What we keep: big enough for a zoomed look, small enough for a widget.
MAX_SIDE = 2048
# MPO: a JPEG holding more than one picture (Ultra HDR and portrait photos from phones); its first is the photo.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF"}
JPEG_QUALITY = 85
FOLDER = "reviews"


class PhotoRefused(ValueError):
    """Why an upload is not a photo we keep, in the buyer's words."""


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo ready to store: re-encoded JPEG bytes without metadata, and its size."""

    content: bytes
    width: int
    height: int


def prepare_photo(upload) -> PreparedPhoto:
    """The upload decoded, oriented, shrunk to MAX_SIDE and re-encoded as JPEG. Raises PhotoRefused."""
    if upload.size is None or upload.size > MAX_UPLOAD_BYTES:
        raise PhotoRefused(_("A photo can be at most 8 MB."))
    upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise PhotoRefused(_("A photo can be at most 8 MB."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise PhotoRefused(_("Upload a photo in JPEG, PNG, WebP or GIF format."))
                if probe.width * probe.height > MAX_SOURCE_PIXELS:
                    raise PhotoRefused(_("This photo is too large in pixels. Upload a smaller one."))
                probe.verify()  # a truncated or corrupt file fails here
            with Image.open(io.BytesIO(data)) as image:
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # a JPEG decodes at a fraction of its size when it can
                image.load()
                image = ImageOps.exif_transpose(image)  # keep the way it was taken, then drop the EXIF
                image = _flatten(image)
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)  # no exif= : none written
                return PreparedPhoto(content=out.getvalue(), width=image.width, height=image.height)
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused(_("This file is not a photo we can read. Upload a JPEG, PNG, WebP or GIF.")) from None
    except (OSError, ValueError, SyntaxError):
        raise PhotoRefused(_("This file is not a photo we can read. Upload a JPEG, PNG, WebP or GIF.")) from None


def _flatten(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: a transparent picture goes on white, not black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def store_photo(photo: PreparedPhoto, *, store_id: int) -> str:
    """Save the photo under a random name (128 bits: not guessable, never the buyer's file name)."""
    name = f"{FOLDER}/{store_id}/{secrets.token_urlsafe(16)}.jpg"
    return default_storage.save(name, ContentFile(photo.content))


def delete_photo(name: str) -> None:
    if name:
        default_storage.delete(name)
