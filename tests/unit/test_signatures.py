"""Drawn signature uploads: size, type, decompression bombs, blank boxes and metadata."""

from __future__ import annotations

import base64
import io
import re
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, PngImagePlugin

from homevisit.records import signatures
from homevisit.records.signatures import (
    DIMENSIONS_MESSAGE,
    DRAW_MESSAGE,
    MAX_SIGNATURE_BYTES,
    SIZE_MESSAGE,
    TYPE_MESSAGE,
    UNREADABLE_MESSAGE,
    SignatureImageError,
    clean_signature_png,
)


def drawn(
    size: tuple[int, int] = (600, 200),
    *,
    background: tuple[int, int, int, int] = (0, 0, 0, 0),
    fmt: str = "PNG",
    **save: object,
) -> bytes:
    """A signature as a signature pad draws it: dark strokes, transparent background by default."""
    image = Image.new("RGBA", size, background)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.line(
        [(w * 0.1, h * 0.7), (w * 0.3, h * 0.3), (w * 0.5, h * 0.7), (w * 0.7, h * 0.3), (w * 0.9, h * 0.6)],
        fill=(10, 10, 60, 255),
        width=max(2, h // 40),
    )
    if fmt != "PNG":
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def chunk_types(png: bytes) -> list[bytes]:
    types, offset = [], 8
    while offset < len(png):
        length, kind = struct.unpack(">I4s", png[offset : offset + 8])
        types.append(kind)
        offset += 12 + length
    return types


def refused(data: object) -> str:
    with pytest.raises(SignatureImageError) as info:
        clean_signature_png(data)  # type: ignore[arg-type]
    return info.value.message


def test_a_drawn_signature_is_returned_as_a_fresh_png_of_the_same_size_on_white_paper() -> None:
    cleaned = clean_signature_png(drawn())
    assert cleaned.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.size == (600, 200) and image.mode == "RGB"
        # the transparent canvas is now the record's white paper; the navy ink keeps its colour
        assert image.getpixel((2, 2)) == (255, 255, 255)
        ink = image.getpixel((300, 140))
        assert ink[2] > ink[0] + 20, ink


@pytest.mark.parametrize("ink", [(11, 12, 12), (11, 11, 11), (40, 44, 46)])
def test_grey_ink_gives_a_greyscale_image_that_prints_the_same(ink: tuple[int, int, int]) -> None:
    # (11, 12, 12) is the app's pen, #0b0c0c: grey to within a step or two
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(40, 150), (200, 50), (560, 120)], fill=(*ink, 255), width=6)
    image.putpixel((300, 190), (*ink, 128))  # half-transparent ink, as a pen's anti-aliased edge
    out = io.BytesIO()
    image.save(out, "PNG")
    with Image.open(io.BytesIO(clean_signature_png(out.getvalue()))) as cleaned:
        assert cleaned.mode == "L"
        assert cleaned.getpixel((2, 2)) == 255
        assert abs(cleaned.getpixel((380, 85)) - sum(ink) / 3) <= 1
        assert abs(cleaned.getpixel((300, 190)) - (255 + sum(ink) / 3) / 2) <= 1.5  # halfway from ink to paper


@pytest.mark.parametrize("ink", [(11, 12, 60), (150, 20, 20), (20, 90, 30)])
def test_coloured_ink_keeps_its_colour(ink: tuple[int, int, int]) -> None:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(40, 150), (200, 50), (560, 120)], fill=(*ink, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    with Image.open(io.BytesIO(clean_signature_png(out.getvalue()))) as cleaned:
        assert cleaned.mode == "RGB"
        assert cleaned.getpixel((380, 85)) == ink and cleaned.getpixel((2, 2)) == (255, 255, 255)


def test_a_high_density_tablet_signature_is_kept_at_300_dpi_of_its_printed_size() -> None:
    # An iPad (2 device pixels to a CSS pixel) sends a 700 x 233 box as 1400 x 466 pixels.
    with Image.open(io.BytesIO(clean_signature_png(drawn((1400, 466))))) as image:
        assert image.height == signatures.MAX_STORED_HEIGHT
        assert image.width == pytest.approx(1400 * signatures.MAX_STORED_HEIGHT / 466, abs=1)
    # 300 dpi over the 22 mm the record gives a signature's height
    assert signatures.MAX_STORED_HEIGHT == 260 and signatures.MAX_STORED_WIDTH == 1063


def test_the_size_kept_is_the_box_the_record_prints_a_signature_in() -> None:
    css = (Path(__file__).resolve().parents[2] / "templates" / "pdf" / "record.css").read_text(encoding="utf-8")
    rule = re.search(r"\.signature-image\s*\{([^}]*)\}", css)
    assert rule, "record.css has no .signature-image rule"
    declarations = dict(
        (name.strip(), value.strip()) for name, value in (d.split(":", 1) for d in rule.group(1).split(";") if ":" in d)
    )
    assert declarations["height"] == f"{signatures.PRINTED_HEIGHT_MM}mm"
    assert declarations["max-width"] == f"{signatures.PRINTED_WIDTH_MM}mm"


@pytest.mark.parametrize("prefix", ["data:image/png;base64,", "DATA:image/PNG;base64,", "", "  \n"])
def test_base64_text_with_or_without_the_data_url_prefix_is_accepted(prefix: str) -> None:
    encoded = base64.b64encode(drawn()).decode("ascii")
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    assert clean_signature_png(prefix + wrapped).startswith(b"\x89PNG")
    assert clean_signature_png(prefix + encoded) == clean_signature_png(drawn())


def test_oversize_upload_is_refused_before_it_is_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decoding(*_args: object, **_kw: object) -> None:
        raise AssertionError("decoded an oversize upload")

    monkeypatch.setattr(signatures.base64, "b64decode", no_decoding)
    monkeypatch.setattr(signatures.Image, "open", no_decoding)
    too_big = b"\x89PNG\r\n\x1a\n" + bytes(MAX_SIGNATURE_BYTES)
    assert refused(too_big) == SIZE_MESSAGE
    assert refused("data:image/png;base64," + "A" * (MAX_SIGNATURE_BYTES * 2)) == SIZE_MESSAGE
    assert refused(bytes(MAX_SIGNATURE_BYTES + 1)) == SIZE_MESSAGE  # size first, even if it is not a PNG


def test_base64_that_decodes_to_more_than_the_cap_is_refused() -> None:
    just_over = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(MAX_SIGNATURE_BYTES)).decode()
    assert refused(just_over) == SIZE_MESSAGE


@pytest.mark.parametrize(
    "payload",
    [
        drawn(fmt="JPEG"),
        drawn(fmt="GIF"),
        drawn(fmt="BMP"),
        b'<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>',
        b"%PDF-1.7\n",
        b"GIF89a" + bytes(40),
    ],
)
def test_other_image_types_renamed_as_png_are_refused(payload: bytes) -> None:
    assert refused(payload) == TYPE_MESSAGE
    assert refused("data:image/png;base64," + base64.b64encode(payload).decode()) == TYPE_MESSAGE


@pytest.mark.parametrize(
    "url",
    [
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
        "data:image/jpeg;base64,/9j/4AAQ",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_data_urls_of_other_types_are_refused(url: str) -> None:
    assert refused(url) == TYPE_MESSAGE


def bomb_png(width: int, height: int) -> bytes:
    """A real PNG of width x height 1-bit pixels, all zero: kilobytes that decode to a huge image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes((width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_from_its_header(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = bomb_png(20_000, 20_000)
    assert len(bomb) < MAX_SIGNATURE_BYTES  # small enough to pass the size cap
    monkeypatch.setattr(signatures.Image, "open", lambda *a, **k: pytest.fail("decoded a bomb"))
    started = time.perf_counter()
    assert refused(bomb) == DIMENSIONS_MESSAGE
    assert time.perf_counter() - started < 0.5


def test_a_wide_thin_bomb_is_refused_too() -> None:
    assert refused(bomb_png(200_000, 2)) == DIMENSIONS_MESSAGE


def test_a_header_that_lies_about_the_size_is_refused() -> None:
    real = drawn((300, 100))
    lying = bytearray(real)
    lying[16:24] = struct.pack(">II", 3000, 1000)  # CRC no longer matches; Pillow must not be trusted blindly
    assert refused(bytes(lying)) == UNREADABLE_MESSAGE


@pytest.mark.parametrize("data", [None, "", "   ", b"", "data:image/png;base64,"])
def test_nothing_sent_asks_for_a_signature(data: object) -> None:
    assert refused(data) == DRAW_MESSAGE


@pytest.mark.parametrize("background", [(0, 0, 0, 0), (255, 255, 255, 255), (20, 20, 20, 255)])
def test_an_empty_box_is_refused(background: tuple[int, int, int, int]) -> None:
    out = io.BytesIO()
    Image.new("RGBA", (600, 200), background).save(out, "PNG")
    assert refused(out.getvalue()) == DRAW_MESSAGE


def test_a_single_tap_is_not_a_signature() -> None:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    image.putpixel((300, 100), (0, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    assert refused(out.getvalue()) == DRAW_MESSAGE


def test_strokes_on_a_white_opaque_canvas_are_accepted() -> None:
    assert clean_signature_png(drawn(background=(255, 255, 255, 255))).startswith(b"\x89PNG")


def test_exif_text_and_colour_profile_are_stripped() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Tablet maker"
    exif[0x8825] = {2: (51.0, 30.0, 26.0), 4: (0.0, 7.0, 39.0)}  # GPS latitude and longitude
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Family address: 1 Example Road")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>GPS</x:xmpmeta>")
    with Image.open(io.BytesIO(drawn())) as source:
        out = io.BytesIO()
        source.save(out, "PNG", exif=exif.tobytes(), pnginfo=info, icc_profile=b"\x00" * 128, dpi=(300, 300))
    dirty = out.getvalue()
    assert b"eXIf" in dirty and b"tEXt" in dirty and b"iTXt" in dirty and b"iCCP" in dirty

    cleaned = clean_signature_png(dirty)
    assert set(chunk_types(cleaned)) <= {b"IHDR", b"IDAT", b"IEND"}
    assert b"Example Road" not in cleaned and b"Tablet maker" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert "exif" not in image.info and not image.getexif()
        assert "icc_profile" not in image.info and "dpi" not in image.info


def test_truncated_or_corrupt_png_asks_to_draw_again() -> None:
    import weasyprint  # noqa: F401  (it sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process)

    good = drawn()
    assert refused(good[: len(good) // 2]) == UNREADABLE_MESSAGE
    assert refused(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20) == UNREADABLE_MESSAGE
    assert refused("data:image/png;base64,@@not-base64@@") == UNREADABLE_MESSAGE
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF
    assert refused(bytes(flipped)) == UNREADABLE_MESSAGE


def test_a_very_large_signature_is_scaled_down_to_a_sensible_size() -> None:
    cleaned = clean_signature_png(drawn((3600, 1200)))
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.width <= signatures.MAX_STORED_WIDTH and image.height <= signatures.MAX_STORED_HEIGHT
        assert image.width / image.height == pytest.approx(3, rel=0.01)


def test_messages_say_what_to_do() -> None:
    assert DRAW_MESSAGE == "Draw your signature in the box"
    assert TYPE_MESSAGE == "The signature must be a PNG image"
    for message in (SIZE_MESSAGE, DIMENSIONS_MESSAGE, UNREADABLE_MESSAGE):
        assert message.endswith("draw your signature again")
