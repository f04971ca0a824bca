"""Buyers' photos: an oversized or non-image upload is refused with a clear error and nothing is saved; a
kept photo is re-encoded without its metadata, shrunk, and stored under a random name."""

import io
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.reviews.links import review_path
from apps.reviews.models import Review, ReviewPhoto
from apps.reviews.photos import MAX_SIDE, MAX_UPLOAD_BYTES, PhotoRefused, prepare_photo
from tests.orders.factories import OrderFactory, OrderLineFactory
from tests.reviews.conftest import jpeg_bytes, png_bytes

pytestmark = pytest.mark.django_db

GPS_TAG = 0x8825
MAKE_TAG = 0x010F


def jpeg_with_location() -> bytes:
    exif = Image.Exif()
    exif[MAKE_TAG] = "SpyCam 3000"
    exif[GPS_TAG] = {1: "N", 2: (45.0, 28.0, 0.0), 3: "E", 4: (9.0, 11.0, 0.0)}
    return jpeg_bytes(exif=exif.tobytes())


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


@pytest.fixture
def order():
    order = OrderFactory(locale="en", customer__locale="en")  # the tests read the English messages
    OrderLineFactory(order=order)
    return order


def post_with_photo(client, order, upload):
    line = order.lines.get()
    data = {
        f"line-{line.pk}-rating": "5",
        f"line-{line.pk}-text": "Bella foto",
        f"line-{line.pk}-photos": upload,
    }
    return client.post(review_path(order), data)


def stored_files() -> list[str]:
    try:
        _dirs, files = default_storage.listdir("reviews")
    except FileNotFoundError:
        return []
    return files


def test_a_photo_is_stored_without_its_location_or_camera_and_under_a_random_name(client, order):
    # given a photo with a GPS position and a camera name in its EXIF
    assert Image.open(io.BytesIO(jpeg_with_location())).getexif().get(GPS_TAG) is not None
    upload = SimpleUploadedFile("IMG_0042 Giulia at home.jpg", jpeg_with_location(), content_type="image/jpeg")
    # when the buyer sends it with their review
    assert post_with_photo(client, order, upload).status_code == 303
    # then the stored file is a JPEG with no EXIF at all, and its name says nothing about the buyer's file
    photo = ReviewPhoto.objects.get()
    with default_storage.open(photo.image.name) as stored:
        data = stored.read()
    kept = Image.open(io.BytesIO(data))
    assert kept.format == "JPEG"
    assert not kept.getexif()
    assert b"SpyCam" not in data and b"Exif" not in data
    assert "IMG_0042" not in photo.image.name and "Giulia" not in photo.image.name
    assert photo.image.name.startswith(f"reviews/{order.store_id}/") and len(photo.image.name.split("/")[-1]) >= 22


def test_a_big_photo_is_shrunk_to_the_largest_side_we_keep(client, order):
    upload = SimpleUploadedFile("wide.jpg", jpeg_bytes(size=(4000, 1000)), content_type="image/jpeg")
    assert post_with_photo(client, order, upload).status_code == 303
    photo = ReviewPhoto.objects.get()
    assert (photo.width, photo.height) == (MAX_SIDE, MAX_SIDE // 4)


def test_a_transparent_png_is_kept_as_a_jpeg_on_white(client, order):
    upload = SimpleUploadedFile("sticker.png", png_bytes(), content_type="image/png")
    assert post_with_photo(client, order, upload).status_code == 303
    with default_storage.open(ReviewPhoto.objects.get().image.name) as stored:
        assert Image.open(stored).format == "JPEG"


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("invoice.jpg", b"%PDF-1.7 not a picture at all", "image/jpeg"),  # the name and type lie
        ("notes.txt", b"hello", "text/plain"),
        ("broken.jpg", jpeg_bytes()[:200], "image/jpeg"),  # cut short
        ("bomb.png", png_claiming(50_000, 50_000), "image/png"),  # claims 2.5 gigapixels
    ],
)
def test_a_file_that_is_not_a_readable_photo_is_refused_and_nothing_is_saved(
    client, order, name, content, content_type
):
    response = post_with_photo(client, order, SimpleUploadedFile(name, content, content_type=content_type))
    assert response.status_code == 400
    assert "field-error" in response.content.decode()
    assert Review.objects.count() == 0
    assert ReviewPhoto.objects.count() == 0
    assert stored_files() == []


def test_a_photo_over_8_mb_is_refused_before_it_is_decoded(client, order):
    big = SimpleUploadedFile("huge.jpg", b"\xff\xd8" + b"\x00" * MAX_UPLOAD_BYTES, content_type="image/jpeg")
    response = post_with_photo(client, order, big)
    assert response.status_code == 400
    assert "8 MB" in response.content.decode()
    assert Review.objects.count() == 0 and stored_files() == []


def test_prepare_photo_names_the_reason():
    with pytest.raises(PhotoRefused, match="8 MB"):
        prepare_photo(SimpleUploadedFile("x.jpg", b"0" * (MAX_UPLOAD_BYTES + 1)))
    with pytest.raises(PhotoRefused, match="not a photo"):
        prepare_photo(SimpleUploadedFile("x.jpg", b"GIF89a but not really"))


def test_more_than_three_photos_are_refused(client, order):
    line = order.lines.get()
    uploads = [SimpleUploadedFile(f"p{i}.jpg", jpeg_bytes(), content_type="image/jpeg") for i in range(4)]
    data = {f"line-{line.pk}-rating": "5", f"line-{line.pk}-text": "Tante foto", f"line-{line.pk}-photos": uploads}
    response = client.post(review_path(order), data)
    assert response.status_code == 400
    assert Review.objects.count() == 0 and stored_files() == []


def test_more_photos_than_a_review_holds_are_refused_before_any_is_decoded(client, order, monkeypatch):
    from apps.reviews import forms

    decoded = []
    monkeypatch.setattr(forms, "prepare_photo", lambda upload: decoded.append(upload) or prepare_photo(upload))
    line = order.lines.get()
    uploads = [SimpleUploadedFile(f"p{n}.jpg", jpeg_bytes(), content_type="image/jpeg") for n in range(20)]
    response = client.post(
        review_path(order),
        {f"line-{line.pk}-rating": "5", f"line-{line.pk}-text": "x", f"line-{line.pk}-photos": uploads},
    )
    assert response.status_code == 400
    assert "at most 3 photos" in response.content.decode()
    assert decoded == []
    assert Review.objects.count() == 0 and stored_files() == []


def test_a_phone_jpeg_holding_two_pictures_is_kept_as_its_first(client, order):
    first, second = Image.new("RGB", (64, 48), "red"), Image.new("RGB", (64, 48), "blue")
    buffer = io.BytesIO()
    first.save(buffer, format="MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    response = post_with_photo(client, order, SimpleUploadedFile("ultra-hdr.jpg", buffer.getvalue(), "image/jpeg"))
    assert response.status_code == 303
    photo = ReviewPhoto.objects.get()
    assert (photo.width, photo.height) == (64, 48)
    with default_storage.open(photo.image.name) as stored:
        kept = Image.open(stored)
        assert kept.format == "JPEG" and kept.getpixel((10, 10))[0] > 200  # the red one
