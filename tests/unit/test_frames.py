"""frames.py against websockets' own serializer and parser, byte for byte, and RFC 6455."""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest
from websockets.exceptions import ProtocolError
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from ipywebsockets.frames import (
    CLOSE_CODES,
    FrameError,
    IncompleteFrame,
    accept_steps,
    decode_frame,
    encode_frame,
    fragments,
    parse_hex,
    problems,
)
from ipywebsockets.wire import FrameReader, split_http_head

# Sizes that hit each length form and its edges: 7-bit (<126), 16-bit (<65536), 64-bit.
SIZES = [0, 1, 125, 126, 127, 65535, 65536, 70000]
DATA_OPCODES = [Opcode.CONT, Opcode.TEXT, Opcode.BINARY]
CTRL_OPCODES = [Opcode.CLOSE, Opcode.PING, Opcode.PONG]


def payload_for(opcode: Opcode, size: int) -> bytes:
    if opcode is Opcode.CLOSE:
        return b"\x03\xe8" + b"r" * max(0, size - 2) if size >= 2 else b""
    if opcode is Opcode.TEXT:
        return ("é" * (size // 2) + "a" * (size % 2)).encode()
    return os.urandom(size)


def ws_parse(data: bytes, *, mask: bool) -> Frame:
    """websockets' own parser run over ``data``."""
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    gen: Generator[None, None, Frame] = Frame.parse(reader.read_exact, mask=mask)
    try:
        next(gen)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    raise AssertionError("websockets' parser wanted more bytes")


def cases() -> list[tuple[Opcode, int, bool]]:
    out = [(op, n, fin) for op in DATA_OPCODES for n in SIZES for fin in (True, False)]
    out += [(op, n, True) for op in CTRL_OPCODES for n in (0, 2, 125)]
    return out


@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "masked"])
@pytest.mark.parametrize(("opcode", "size", "fin"), cases())
def test_encode_matches_websockets(opcode: Opcode, size: int, fin: bool, masked: bool) -> None:
    payload = payload_for(opcode, size)
    theirs = Frame(opcode, payload, fin).serialize(mask=masked)
    # websockets draws a random masking key: read it from its bytes, then use the same one.
    decoded = decode_frame(theirs)
    key = decoded.mask_key
    assert (key is not None) == masked
    ours = encode_frame(int(opcode), payload, fin=fin, mask_key=key)
    assert ours == theirs

    assert decoded.raw == theirs
    assert decoded.opcode == int(opcode) and decoded.fin == fin and decoded.masked == masked
    assert decoded.length == len(payload) and decoded.payload == payload
    expected_form = (
        "7-bit" if len(payload) < 126 else "16-bit" if len(payload) < 65536 else "64-bit"
    )
    assert decoded.length_form == expected_form
    assert decoded.header_size == len(theirs) - len(payload)
    if masked and payload:
        assert decoded.wire_payload != payload or len(set(payload)) <= 1

    parsed = ws_parse(ours, mask=masked)
    assert (parsed.opcode, bytes(parsed.data), parsed.fin) == (opcode, payload, fin)
    # A valid frame in its right direction raises no complaint.
    assert problems(decoded, from_client=masked) == []


def test_rsv_bits_round_trip() -> None:
    for bits in [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 1)]:
        rsv = dict(zip(("rsv1", "rsv2", "rsv3"), map(bool, bits), strict=True))
        raw = encode_frame(0x2, b"xyz", **rsv)
        f = decode_frame(raw)
        assert (f.rsv1, f.rsv2, f.rsv3) == tuple(map(bool, bits))
        # websockets refuses set RSV bits without an extension: so must we, in words.
        with pytest.raises(ProtocolError):
            ws_parse(raw, mask=False)
        assert any("RSV" in p for p in problems(f, from_client=False))


def test_fields_cover_the_header_in_order() -> None:
    key = b"\x01\x02\x03\x04"
    f = decode_frame(encode_frame(0x1, b"x" * 300, mask_key=key))
    names = [fl.name for fl in f.fields]
    assert names == [
        "FIN",
        "RSV1",
        "RSV2",
        "RSV3",
        "opcode",
        "MASK",
        "payload length",
        "extended length (16-bit)",
        "masking key",
        "payload",
    ]
    by = {fl.name: fl for fl in f.fields}
    assert (by["extended length (16-bit)"].start, by["extended length (16-bit)"].end) == (2, 4)
    assert (by["masking key"].start, by["masking key"].end) == (4, 8)
    assert by["payload length"].bits == f"{126:07b}"
    assert by["opcode"].value == "0x1 text"
    assert by["payload"].end == len(f.raw) == 8 + 300


def test_rfc6455_examples() -> None:
    # §5.7: a single-frame unmasked text message "Hello", and the masked one.
    assert encode_frame(0x1, b"Hello") == bytes.fromhex("810548656c6c6f")
    masked = bytes.fromhex("818537fa213d7f9f4d5158")
    assert encode_frame(0x1, b"Hello", mask_key=bytes.fromhex("37fa213d")) == masked
    assert decode_frame(masked).payload == b"Hello"
    # Fragmented "Hel" + "lo"; an unmasked ping "Hello"; 256 and 65536 bytes binary headers.
    assert encode_frame(0x1, b"Hel", fin=False) == bytes.fromhex("010348656c")
    assert encode_frame(0x0, b"lo") == bytes.fromhex("80026c6f")
    assert encode_frame(0x9, b"Hello") == bytes.fromhex("890548656c6c6f")
    assert encode_frame(0x2, bytes(256))[:4] == bytes.fromhex("827e0100")
    assert encode_frame(0x2, bytes(65536))[:10] == bytes.fromhex("827f0000000000010000")


def test_accept_rfc6455_example() -> None:
    steps = accept_steps("dGhlIHNhbXBsZSBub25jZQ==")
    assert steps.concatenated == "dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    assert steps.sha1_hex == "b37a4f2cc0624f1690f64606cf385945b2bec4ea"
    assert steps.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_fragments_reassemble_and_match_websockets() -> None:
    parts = fragments(0x1, b"Hello, world", 5)
    assert [(op, fin) for op, _, fin in parts] == [(1, False), (0, False), (0, True)]
    assert b"".join(c for _, c, _ in parts) == b"Hello, world"
    for op, chunk, fin in parts:
        assert encode_frame(op, chunk, fin=fin) == Frame(Opcode(op), chunk, fin).serialize(
            mask=False
        )
    assert fragments(0x2, b"abc", None) == [(0x2, b"abc", True)]
    assert fragments(0x2, b"abc", 3) == [(0x2, b"abc", True)]


def test_reader_splits_head_and_frames_at_any_chunking() -> None:
    head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
    frames = [encode_frame(0x1, b"a" * n) for n in (3, 200, 70000)] + [encode_frame(0x9, b"")]
    stream = head + b"".join(frames)
    for step in (1, 7, 1000, len(stream)):
        reader = FrameReader()
        got = []
        for i in range(0, len(stream), step):
            got += reader.feed(stream[i : i + step])
        assert reader.head == head
        assert [f.raw for f in got] == frames
        assert reader.pending == 0


def test_http_head_includes_announced_body() -> None:
    resp = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!"
    assert split_http_head(resp[:-1]) == (None, resp[:-1])
    assert split_http_head(resp + b"\x81\x00") == (resp, b"\x81\x00")


INVALID = [
    # (hex, from_client, words that must appear in the explanation)
    ("81 05 48 65 6c 6c 6f", True, "must be masked"),
    ("81 85 00 00 00 00 48 65 6c 6c 6f", False, "must not be masked"),
    ("89 7e 00 7e" + " 00" * 126, False, "at most 125 bytes"),
    ("09 00", False, "cannot be fragmented"),
    ("81 02 c3 28", False, "valid UTF-8"),
    ("83 00", False, "reserved"),
    ("8b 00", False, "reserved"),
    ("c1 01 61", False, "RSV1"),
    ("88 01 03", False, "1 byte"),
    ("88 02 03 ed", False, "close code 1005 may not be sent"),
]


@pytest.mark.parametrize(("hextext", "from_client", "words"), INVALID)
def test_invalid_frames_are_explained(hextext: str, from_client: bool, words: str) -> None:
    frame = decode_frame(parse_hex(hextext))
    found = problems(frame, from_client=from_client)
    assert any(words in p for p in found), found
    # websockets agrees that each one is invalid (parse or its UTF-8/close checks).
    with pytest.raises((ProtocolError, UnicodeDecodeError)):
        parsed = ws_parse(frame.raw, mask=from_client)
        if parsed.opcode is Opcode.TEXT:
            bytes(parsed.data).decode()
        if parsed.opcode is Opcode.CLOSE:
            from websockets.frames import Close

            Close.parse(bytes(parsed.data))


def test_incomplete_and_bad_hex_say_what_is_missing() -> None:
    with pytest.raises(IncompleteFrame, match="2 header bytes") as e1:
        decode_frame(b"\x81")
    assert e1.value.needed == 1
    with pytest.raises(IncompleteFrame, match="3 more bytes") as e2:
        decode_frame(bytes.fromhex("8105486c"))
    assert e2.value.needed == 3
    with pytest.raises(IncompleteFrame, match="16-bit"):
        decode_frame(b"\x81\x7e\x01")
    with pytest.raises(FrameError, match="'z' is not a hex digit"):
        parse_hex("81 0z")
    with pytest.raises(FrameError, match="odd number"):
        parse_hex("810")
    assert parse_hex("0x81, 0x00") == b"\x81\x00" == parse_hex("\\x81\\x00")


def test_close_code_table_and_close_payload() -> None:
    for code in (1000, 1001, 1002, 1003, 1006, 1007, 1008, 1009, 1011):
        assert code in CLOSE_CODES
    f = decode_frame(encode_frame(0x8, b"\x03\xe9bye"))
    assert f.close_code() == (1001, "bye")
    assert problems(f, from_client=False) == []
