#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/ from the shared protocol
vectors (tests/data/protocol-vectors.json) plus a few longer lists.

Input layouts, as the targets read them:
  frame_fuzz            byte 0 read-size seed, byte 1 max_frame choice, stream
  client_payload_fuzz   byte 0 message type, payload
  server_payload_fuzz   byte 0 message type, payload

Run from anywhere; rewrites the seed files it owns and leaves others alone.
"""
import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
MAX_FRAME_65536 = 5  # index into frame_fuzz's kMaxFrames
MAX_FRAME_100 = 3


def frame(msg_type, payload):
    return struct.pack(">HBBI", 0xCAF0, 1, msg_type, len(payload)) + payload


def str8(s):
    b = s.encode()
    return bytes([len(b)]) + b


def str16(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def slug(name):
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")


def main():
    vectors = json.loads((ROOT / "tests" / "data" / "protocol-vectors.json").read_text())
    client_stream = b""
    for v in vectors["frames"]:
        wire = bytes.fromhex(v["hex"])
        msg_type, payload = wire[3], wire[8:]
        target = "client_payload_fuzz" if msg_type <= 0x0D else "server_payload_fuzz"
        write(target, "vec_" + slug(v["name"]), bytes([msg_type]) + payload)
        if msg_type in (0x02, 0x03):  # PING and PONG travel both ways
            write("server_payload_fuzz", "vec_" + slug(v["name"]), bytes([msg_type]) + payload)
        if msg_type <= 0x0D:
            client_stream += wire
    for v in vectors["invalid"]:
        wire = bytes.fromhex(v["hex"])
        write("frame_fuzz", "invalid_" + slug(v["name"]), bytes([1, MAX_FRAME_65536]) + wire)
        if len(wire) > 8 and wire[3] <= 0x0D:
            write("client_payload_fuzz", "invalid_" + slug(v["name"]), bytes([wire[3]]) + wire[8:])

    # Every client vector in one stream: one-byte reads, then varied reads.
    write("frame_fuzz", "stream_all_client_frames", bytes([0, MAX_FRAME_65536]) + client_stream)
    write("frame_fuzz", "stream_varied_reads", bytes([7, MAX_FRAME_65536]) + client_stream)
    # A stream whose third frame passes a small max_frame.
    small = frame(0x02, bytes(8)) + frame(0x09, bytes(4)) + frame(0x06, bytes(200))
    write("frame_fuzz", "stream_too_large_third", bytes([3, MAX_FRAME_100]) + small)

    # Longer client lists and UTF-8 at the edges.
    users = b"".join(str8(u) for u in ["ana", "bob", "carl", "d\u00e9a", "x" * 64])
    write("client_payload_fuzz", "watch_five", bytes([0x0A]) + struct.pack(">IH", 8, 5) + users)
    write("client_payload_fuzz", "say_small_max_body",
          bytes([0x86]) + struct.pack(">I", 4) + str8("r") + str16("sixteen bytes!!!"))

    # Server lists long enough for a tight max_frame to cut.
    members = struct.pack(">I", 6) + str8("general") + struct.pack(">IH", 9, 5) + users
    write("server_payload_fuzz", "members_five", bytes([0x49]) + members)
    write("server_payload_fuzz", "members_five_tight", bytes([0xC9]) + members)
    rooms = b"".join(str8(r) + struct.pack(">I", i) for i, r in enumerate(["a", "bb", "ccc", "dddd"]))
    write("server_payload_fuzz", "room_list_four",
          bytes([0x4A]) + struct.pack(">IIH", 7, 4, 4) + rooms)
    entries = b"".join(struct.pack(">QQ", seq, 1764000000000 + seq) + str8("ana") + str16("m" * seq)
                       for seq in range(1, 5))
    write("server_payload_fuzz", "history_page_four_more",
          bytes([0xCB]) + struct.pack(">I", 10) + str8("general") + struct.pack(">H", 4)
          + entries + b"\x01")


if __name__ == "__main__":
    main()
