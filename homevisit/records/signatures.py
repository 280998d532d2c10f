"""Drawn signatures: the PNG a practitioner draws in the signature box, checked and cleaned.

A signature arrives from the browser as a ``data:image/png;base64,...`` URL (or as raw bytes from the API).
It is untrusted: it may be huge, may not be a PNG at all (an SVG or JPEG renamed), may be a decompression
bomb, may carry metadata (EXIF can hold the GPS position of the family's home), or may be blank. We check
the size before decoding anything, check the PNG signature and the declared dimensions before Pillow
decodes a pixel, then copy only the pixels into a fresh PNG. Nothing else from the upload survives.

The cleaned PNG is the signature as the signed record prints it (the record is the only place it is kept):
laid on white paper, grey when the ink is grey (a colour signature keeps its colour), and no larger than
300 dpi at the size the record prints it. A tablet with a high-density screen sends about twice that, and
every extra pixel is work for each record that carries it, for nothing a printer or a reader can show.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
import zlib

from PIL import Image, ImageChops, UnidentifiedImageError

MAX_SIGNATURE_BYTES = 512 * 1024
"""The largest signature accepted, in bytes of PNG (checked before decoding)."""

MAX_SIGNATURE_SIDE = 4000
"""The widest or tallest signature accepted, in pixels (checked from the PNG header, before decoding)."""

PRINTED_WIDTH_MM, PRINTED_HEIGHT_MM = 90, 22
"""The largest box the record prints a signature in (``.signature-image`` in templates/pdf/record.css)."""

PRINT_DPI = 300

MAX_STORED_WIDTH = round(PRINTED_WIDTH_MM / 25.4 * PRINT_DPI)
MAX_STORED_HEIGHT = round(PRINTED_HEIGHT_MM / 25.4 * PRINT_DPI)
"""Larger signatures are scaled down to fit this box: 300 dpi at the size the record prints them."""

GREY_TOLERANCE = 8
"""Ink whose red, green and blue differ by no more than this (of 255) is kept as grey: the app's own pen, #0b0c0c
(the GOV.UK text colour), is 1 off grey; a blue pen is 40 or more."""

MIN_INK_PIXELS = 20
"""Fewer marked pixels than this is an empty box (or a stray tap), not a signature."""

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_DATA_URL = re.compile(r"^data:([^,;]*)((?:;[^,;]*)*),", re.IGNORECASE)
# Base64 is 4 characters per 3 bytes; allow for the data URL prefix and line breaks.
_MAX_TEXT_CHARS = MAX_SIGNATURE_BYTES * 4 // 3 + 1024

DRAW_MESSAGE = "Draw your signature in the box"
TYPE_MESSAGE = "The signature must be a PNG image"
SIZE_MESSAGE = "The signature must be smaller than 512 KB. Clear the box and draw your signature again"
DIMENSIONS_MESSAGE = (
    f"The signature must be no more than {MAX_SIGNATURE_SIDE} pixels wide or high. "
    "Clear the box and draw your signature again"
)
UNREADABLE_MESSAGE = "The signature could not be read. Clear the box and draw your signature again"


class SignatureImageError(ValueError):
    """A drawn signature was refused; ``message`` says what the practitioner should do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def clean_signature_png(data: bytes | bytearray | memoryview | str | None) -> bytes:
    """Return the drawn signature as a fresh PNG holding only its pixels.

    ``data`` is the PNG as bytes, or as base64 text with or without a ``data:image/png;base64,`` prefix.
    Raises :class:`SignatureImageError` with a message that says what to do if the signature is missing,
    blank, too big, not a PNG, or cannot be read.
    """
    raw = _png_bytes(data)
    width, height = _declared_size(raw)
    if width > MAX_SIGNATURE_SIDE or height > MAX_SIGNATURE_SIDE:
        raise SignatureImageError(DIMENSIONS_MESSAGE)
    _check_chunks(raw)
    pixels = _on_paper(_decode(raw, width, height))
    if _ink_pixels(pixels) < MIN_INK_PIXELS:
        raise SignatureImageError(DRAW_MESSAGE)
    if pixels.width > MAX_STORED_WIDTH or pixels.height > MAX_STORED_HEIGHT:
        pixels.thumbnail((MAX_STORED_WIDTH, MAX_STORED_HEIGHT), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    pixels.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def _png_bytes(data: bytes | bytearray | memoryview | str | None) -> bytes:
    """The upload as PNG bytes, with every size check made before anything is decoded."""
    if data is None:
        raise SignatureImageError(DRAW_MESSAGE)
    if isinstance(data, str):
        if len(data) > _MAX_TEXT_CHARS:
            raise SignatureImageError(SIZE_MESSAGE)
        text = data.strip()
        if not text:
            raise SignatureImageError(DRAW_MESSAGE)
        match = _DATA_URL.match(text)
        if match:
            media_type = match.group(1).strip().lower()
            params = [p.strip().lower() for p in match.group(2).split(";") if p.strip()]
            if media_type != "image/png":
                raise SignatureImageError(TYPE_MESSAGE)
            if "base64" not in params:
                raise SignatureImageError(UNREADABLE_MESSAGE)
            text = text[match.end() :]
        elif text.lower().startswith("data:"):
            raise SignatureImageError(TYPE_MESSAGE)
        try:
            raw = base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise SignatureImageError(UNREADABLE_MESSAGE) from None
    elif isinstance(data, (bytes, bytearray, memoryview)):
        if len(data) > MAX_SIGNATURE_BYTES:
            raise SignatureImageError(SIZE_MESSAGE)
        raw = bytes(data)
    else:
        raise SignatureImageError(TYPE_MESSAGE)
    if not raw:
        raise SignatureImageError(DRAW_MESSAGE)
    if len(raw) > MAX_SIGNATURE_BYTES:
        raise SignatureImageError(SIZE_MESSAGE)
    if not raw.startswith(PNG_MAGIC):
        raise SignatureImageError(TYPE_MESSAGE)
    return raw


def _declared_size(raw: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk, which must come first, read without decoding."""
    if len(raw) < 33 or raw[12:16] != b"IHDR":
        raise SignatureImageError(UNREADABLE_MESSAGE)
    (length,) = struct.unpack(">I", raw[8:12])
    width, height = struct.unpack(">II", raw[16:24])
    if length != 13 or width == 0 or height == 0:
        raise SignatureImageError(UNREADABLE_MESSAGE)
    return width, height


def _check_chunks(raw: bytes) -> None:
    """Every chunk complete with a correct CRC, image data present, and the file ends with IEND.

    Checked here rather than left to Pillow, because importing WeasyPrint sets Pillow's process-wide
    ``LOAD_TRUNCATED_IMAGES``, which would let half a signature through as if it were whole.
    """
    offset, has_data = 8, False
    while offset + 12 <= len(raw):
        (length,) = struct.unpack(">I", raw[offset : offset + 4])
        kind = raw[offset + 4 : offset + 8]
        end = offset + 12 + length
        if end > len(raw):
            break
        (crc,) = struct.unpack(">I", raw[end - 4 : end])
        if zlib.crc32(raw[offset + 4 : end - 4]) != crc:
            raise SignatureImageError(UNREADABLE_MESSAGE)
        has_data = has_data or kind == b"IDAT"
        if kind == b"IEND":
            if has_data:
                return
            break
        offset = end
    raise SignatureImageError(UNREADABLE_MESSAGE)


def _decode(raw: bytes, width: int, height: int) -> Image.Image:
    """Decode the PNG and copy its pixels into a new RGBA image that carries no metadata at all."""
    try:
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as image:
            if image.size != (width, height):
                raise SignatureImageError(UNREADABLE_MESSAGE)
            image.load()
            rgba = image.convert("RGBA")
    except SignatureImageError:
        raise
    except Image.DecompressionBombError:
        raise SignatureImageError(DIMENSIONS_MESSAGE) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error):
        # The PNG signature was already checked, so this is a damaged PNG rather than another type.
        raise SignatureImageError(UNREADABLE_MESSAGE) from None
    # frombytes gives an image whose info is empty: no EXIF, text chunks, ICC profile or dpi survive.
    return Image.frombytes("RGBA", rgba.size, rgba.tobytes())


def _on_paper(image: Image.Image) -> Image.Image:
    """The drawing laid on white paper, as it prints: greyscale if the ink is grey, colour otherwise."""
    paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
    rgb = Image.alpha_composite(paper, image).convert("RGB")
    red, green, blue = rgb.split()
    differences = (ImageChops.difference(a, b).histogram() for a, b in ((red, green), (green, blue), (red, blue)))
    off_grey = max(value for histogram in differences for value, count in enumerate(histogram) if count)
    return rgb.convert("L") if off_grey <= GREY_TOLERANCE else rgb


def _ink_pixels(image: Image.Image) -> int:
    """How many pixels differ clearly from the background of the drawing on paper."""
    histogram = image.convert("L").histogram()
    background = max(range(256), key=histogram.__getitem__)
    return sum(count for value, count in enumerate(histogram) if abs(value - background) > 48)
