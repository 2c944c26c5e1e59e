#!/usr/bin/python3
"""An independent verifier for partsledger, written from the public specs.

It shares nothing with the C code but the wire format in ledger.proto: the
protobuf messages are encoded and decoded by hand, gRPC is Python's grpcio,
Ed25519 is pyca/cryptography (OpenSSL), and the Merkle and note checks follow

  RFC 9162 section 2.1     Merkle tree hashes, inclusion (2.1.3.2) and
                           consistency (2.1.4.2) proof verification
  C2SP signed-note         note text, signature lines, verifier keys, key ids
  C2SP tlog-checkpoint     the checkpoint body: origin, size, root hash

It starts partsledgerd on a fresh data directory, appends entries (one at a
time and in a batch), and checks every checkpoint, leaf, signature and proof
the server returns; checks that it rejects tampered proofs and notes, so it
cannot pass by accepting everything; runs the same code on the known answers
in tests/vectors/; cross-checks proof documents with the partsledger CLI; and
asks grpc.health.v1.Health whether the server is serving.

Usage: verify_log.py --server-bin PATH --cli-bin PATH
The last line is "N passed, M failed"; the exit status is 0 only when M is 0.
Needs Debian's python3-grpcio and python3-cryptography (deploy/deps.sh).
"""

import argparse
import base64
import binascii
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

import grpc
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "vectors")

ORIGIN = "interop.test/log"
ENTRY_CONTEXT = b"partsledger/v1/entry\n"
ROLE_ADMIN = 1
ROLE_AUDITOR = 6
N_SINGLE = 20
N_BATCH = 10
RPC_TIMEOUT = 10.0
EM_DASH = "\u2014"


class VerifyError(Exception):
    """A proof, note or key that does not verify."""


# ---------------------------------------------------------------------------
# Protobuf wire format (https://protobuf.dev/programming-guides/encoding/)
# ---------------------------------------------------------------------------

WT_VARINT, WT_I64, WT_LEN, WT_I32 = 0, 1, 2, 5


def pb_varint(n):
    if n < 0:
        n += 1 << 64  # int64 negatives are ten-byte two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_uint(field, n):
    """A varint field; proto3 leaves zero values out."""
    return b"" if n == 0 else pb_varint(field << 3 | WT_VARINT) + pb_varint(n)


def pb_bytes(field, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return pb_varint(field << 3 | WT_LEN) + pb_varint(len(data)) + data


def pb_read_varint(buf, pos):
    n = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            if n >= 1 << 64:
                raise ValueError("varint overflows 64 bits")
            return n, pos
        shift += 7
        if shift >= 70:
            raise ValueError("varint too long")


def pb_decode(buf):
    """Message bytes -> {field number: [values in order]}. Varints are ints,
    length-delimited fields bytes; fixed-width fields are kept as bytes."""
    fields = {}
    pos = 0
    while pos < len(buf):
        key, pos = pb_read_varint(buf, pos)
        field, wt = key >> 3, key & 7
        if field == 0:
            raise ValueError("field number 0")
        if wt == WT_VARINT:
            val, pos = pb_read_varint(buf, pos)
        elif wt == WT_LEN:
            n, pos = pb_read_varint(buf, pos)
            if pos + n > len(buf):
                raise ValueError("truncated length-delimited field %d" % field)
            val, pos = bytes(buf[pos:pos + n]), pos + n
        elif wt in (WT_I64, WT_I32):
            n = 8 if wt == WT_I64 else 4
            if pos + n > len(buf):
                raise ValueError("truncated fixed field %d" % field)
            val, pos = bytes(buf[pos:pos + n]), pos + n
        else:
            raise ValueError("wire type %d in field %d" % (wt, field))
        fields.setdefault(field, []).append(val)
    return fields


class Msg:
    """A decoded message: scalar getters return the last value (proto3
    semantics for a repeated occurrence of a singular field) or the default."""

    def __init__(self, buf):
        self.raw = bytes(buf)
        self.f = pb_decode(self.raw)

    def uint(self, field):
        v = self.f.get(field, [0])[-1]
        if not isinstance(v, int):
            raise ValueError("field %d is not a varint" % field)
        return v

    def int64(self, field):
        v = self.uint(field)
        return v - (1 << 64) if v >= 1 << 63 else v

    def boolean(self, field):
        return self.uint(field) != 0

    def bytes_(self, field):
        v = self.f.get(field, [b""])[-1]
        if not isinstance(v, bytes):
            raise ValueError("field %d is not length-delimited" % field)
        return v

    def string(self, field):
        return self.bytes_(field).decode("utf-8")

    def repeated(self, field):
        vals = self.f.get(field, [])
        if not all(isinstance(v, bytes) for v in vals):
            raise ValueError("field %d is not length-delimited" % field)
        return vals

    def msg(self, field):
        return Msg(self.bytes_(field))


# ---------------------------------------------------------------------------
# Ed25519 and keys
# ---------------------------------------------------------------------------

def ed_private(seed):
    return Ed25519PrivateKey.from_private_bytes(seed)


def ed_public_bytes(priv):
    return priv.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def ed_verify(pk, msg, sig):
    if len(pk) != 32 or len(sig) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


def write_key_file(path, seed):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(seed.hex() + "\n")


# ---------------------------------------------------------------------------
# C2SP signed-note and tlog-checkpoint
# ---------------------------------------------------------------------------

def b64decode_strict(s):
    try:
        data = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError) as e:
        raise VerifyError("bad base64 %r: %s" % (s, e))
    if base64.b64encode(data).decode("ascii") != s:
        raise VerifyError("non-canonical base64 %r" % s)
    return data


def check_key_name(name):
    if not name or any(c in name for c in "+ ") or any(
            ord(c) < 0x20 or ord(c) == 0x7F or c.isspace() for c in name):
        raise VerifyError("bad key name %r" % name)


def note_key_id(name, pk):
    """signed-note: key ID = SHA-256(key name || 0x0A || type || key)[:4],
    type 0x01 for Ed25519."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + b"\x01" + pk).digest()[:4]


def vkey_format(name, pk):
    return "%s+%s+%s" % (name, note_key_id(name, pk).hex(),
                         base64.b64encode(b"\x01" + pk).decode("ascii"))


def vkey_parse(vkey):
    """'<name>+<hex key id>+<base64(0x01 || key)>' -> (name, key id, key)."""
    parts = vkey.split("+", 2)  # names hold no '+'; base64 may
    if len(parts) != 3:
        raise VerifyError("verifier key %r has no three '+'-separated parts" % vkey)
    name, hexid, b64 = parts
    check_key_name(name)
    if len(hexid) != 8 or any(c not in "0123456789abcdef" for c in hexid):
        raise VerifyError("verifier key id %r is not 8 lowercase hex digits" % hexid)
    blob = b64decode_strict(b64)
    if len(blob) != 33 or blob[0] != 0x01:
        raise VerifyError("verifier key is not type 0x01 (Ed25519) + 32 bytes")
    pk = blob[1:]
    kid = bytes.fromhex(hexid)
    if note_key_id(name, pk) != kid:
        raise VerifyError("verifier key id %s does not match SHA-256(name || \\n "
                          "|| 0x01 || key)[:4] = %s"
                          % (hexid, note_key_id(name, pk).hex()))
    return name, kid, pk


def note_sign(priv, name, body):
    """A signed note as C2SP signed-note writes it: body, blank line, one
    signature line."""
    pk = ed_public_bytes(priv)
    sig = priv.sign(body.encode("utf-8"))
    blob = base64.b64encode(note_key_id(name, pk) + sig).decode("ascii")
    return body + "\n" + EM_DASH + " " + name + " " + blob + "\n"


def note_open(note, vkey):
    """Verifies `note` (str) against the verifier key; returns its body.

    signed-note: the text is UTF-8 with no control characters but newline,
    and ends in a newline; it is followed by a blank line and signature lines
    "— <name> <base64(key id || signature)>". A signature whose name and key
    id match the verifier key must verify (Ed25519 over the text); one that
    matches no known key is ignored; at least one must verify."""
    name, kid, pk = vkey_parse(vkey)
    if not isinstance(note, str):
        raise VerifyError("note is not text")
    if any((ord(c) < 0x20 and c != "\n") or ord(c) == 0x7F for c in note):
        raise VerifyError("note holds a control character")
    if not note.endswith("\n"):
        raise VerifyError("note does not end in a newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise VerifyError("note has no blank line before its signatures")
    body, sigs = note[:split + 1], note[split + 2:]
    if not body or body == "\n":
        raise VerifyError("note has an empty text")
    lines = sigs[:-1].split("\n")
    if not lines or lines == [""]:
        raise VerifyError("note has no signature lines")
    verified = False
    for line in lines:
        if not line.startswith(EM_DASH + " "):
            raise VerifyError("signature line %r does not start with an em dash "
                              "and a space" % line)
        rest = line[2:].split(" ")
        if len(rest) != 2:
            raise VerifyError("signature line %r is not '— name signature'" % line)
        sname, b64 = rest
        check_key_name(sname)
        blob = b64decode_strict(b64)
        if len(blob) < 5:
            raise VerifyError("signature %r is too short" % b64)
        if sname != name or blob[:4] != kid:
            continue  # someone else's signature: not ours to judge
        if len(blob) != 4 + 64:
            raise VerifyError("Ed25519 signature by %s is %d bytes, not 64"
                              % (sname, len(blob) - 4))
        if not ed_verify(pk, body.encode("utf-8"), blob[4:]):
            raise VerifyError("signature by the known key %s+%s does not verify"
                              % (name, kid.hex()))
        verified = True
    if not verified:
        raise VerifyError("no signature by %s+%s" % (name, kid.hex()))
    return body


def checkpoint_parse(body):
    """tlog-checkpoint body: origin, decimal size, base64 root hash, each
    ending in a newline; optional non-empty extension lines follow."""
    if not body.endswith("\n"):
        raise VerifyError("checkpoint body does not end in a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise VerifyError("checkpoint body has %d lines, not at least 3" % len(lines))
    origin, size_s, root_s = lines[:3]
    if not origin:
        raise VerifyError("checkpoint origin is empty")
    if not size_s.isdigit() or not size_s.isascii() or (
            len(size_s) > 1 and size_s[0] == "0"):
        raise VerifyError("checkpoint size %r is not a canonical decimal" % size_s)
    size = int(size_s)
    if size >= 1 << 64:
        raise VerifyError("checkpoint size does not fit in 64 bits")
    root = b64decode_strict(root_s)
    if len(root) != 32:
        raise VerifyError("checkpoint root is %d bytes, not 32" % len(root))
    if any(not ext for ext in lines[3:]):
        raise VerifyError("checkpoint has an empty extension line")
    return origin, size, root


def checkpoint_open(note, vkey, origin):
    """Verifies a checkpoint note; returns (size, root)."""
    body = note_open(note, vkey)
    got_origin, size, root = checkpoint_parse(body)
    if got_origin != origin:
        raise VerifyError("checkpoint origin %r, expected %r" % (got_origin, origin))
    return size, root


# ---------------------------------------------------------------------------
# RFC 9162 section 2.1 Merkle trees
# ---------------------------------------------------------------------------

def leaf_hash(leaf):
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(hashes):
    """MTH over leaf hashes (2.1.1): the empty tree hashes to SHA-256("")."""
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def verify_inclusion(index, size, lh, proof, root):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        raise VerifyError("index %d is not below tree size %d" % (index, size))
    if len(lh) != 32 or len(root) != 32 or any(len(p) != 32 for p in proof):
        raise VerifyError("a hash is not 32 bytes")
    fn, sn, r = index, size - 1, lh
    for p in proof:
        if sn == 0:
            raise VerifyError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerifyError("inclusion proof is too short")
    if r != root:
        raise VerifyError("inclusion proof leads to %s, not the root %s"
                          % (r.hex(), root.hex()))


def verify_consistency(first, second, first_hash, second_hash, proof):
    """RFC 9162 2.1.4.2."""
    if not 0 < first <= second:
        raise VerifyError("sizes %d -> %d are not 0 < first <= second"
                          % (first, second))
    if len(first_hash) != 32 or len(second_hash) != 32 or any(
            len(p) != 32 for p in proof):
        raise VerifyError("a hash is not 32 bytes")
    if first == second:
        if proof:
            raise VerifyError("equal sizes need an empty proof")
        if first_hash != second_hash:
            raise VerifyError("equal sizes with different roots")
        return
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two
        path.insert(0, first_hash)
    if not path:
        raise VerifyError("consistency proof is empty")
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerifyError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerifyError("consistency proof is too short")
    if fr != first_hash:
        raise VerifyError("consistency proof gives old root %s, not %s"
                          % (fr.hex(), first_hash.hex()))
    if sr != second_hash:
        raise VerifyError("consistency proof gives new root %s, not %s"
                          % (sr.hex(), second_hash.hex()))


def rejects(fn, *args):
    try:
        fn(*args)
    except VerifyError:
        return True
    return False


def flip(b, i=0):
    b = bytearray(b)
    b[i % len(b)] ^= 0x01
    return bytes(b)


def inclusion_tampers(index, size, lh, proof, root):
    """Variants of a good inclusion proof that must all be rejected."""
    out = [("leaf hash flipped", (index, size, flip(lh), proof, root)),
           ("root flipped", (index, size, lh, proof, flip(root, 31))),
           ("extra hash", (index, size, lh, proof + [b"\x00" * 32], root)),
           ("index = size", (size, size, lh, proof, root))]
    for i in range(len(proof)):
        out.append(("hash %d flipped" % i, (index, size, lh,
                    proof[:i] + [flip(proof[i], 7)] + proof[i + 1:], root)))
    if proof:
        out.append(("last hash dropped", (index, size, lh, proof[:-1], root)))
        out.append(("hashes reversed", (index, size, lh, proof[::-1], root))
                   if len(proof) > 1 and proof[0] != proof[-1] else
                   ("first hash dropped", (index, size, lh, proof[1:], root)))
        if index + 1 < size:
            out.append(("index + 1", (index + 1, size, lh, proof, root)))
        if index > 0:
            out.append(("index - 1", (index - 1, size, lh, proof, root)))
    return out


def consistency_tampers(first, second, h1, h2, proof):
    out = [("old root flipped", (first, second, flip(h1), h2, proof)),
           ("new root flipped", (first, second, h1, flip(h2, 31), proof)),
           ("extra hash", (first, second, h1, h2, proof + [b"\x00" * 32]))]
    for i in range(len(proof)):
        out.append(("hash %d flipped" % i, (first, second, h1, h2,
                    proof[:i] + [flip(proof[i], 5)] + proof[i + 1:])))
    if proof:
        out.append(("last hash dropped", (first, second, h1, h2, proof[:-1])))
    if first < second and first > 1:
        out.append(("old size - 1", (first - 1, second, h1, h2, proof)))
    if first + 1 < second:
        out.append(("old size + 1", (first + 1, second, h1, h2, proof)))
    return out


# ---------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------

class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: %s%s" % (what, ": " + detail if detail else ""), flush=True)
        return ok

    def verifies(self, what, fn, *args):
        """Passes when fn(*args) raises no VerifyError; returns its result."""
        try:
            out = fn(*args)
        except VerifyError as e:
            self.check(what, False, str(e))
            return None
        self.check(what, True)
        return out if out is not None else True

    def all_rejected(self, what, fn, variants):
        accepted = [name for name, args in variants if not rejects(fn, *args)]
        self.check("%s: all %d tampered variants rejected" % (what, len(variants)),
                   not accepted, "accepted: " + ", ".join(accepted))


def run_vectors(res):
    """The known answers in tests/vectors/."""
    with open(os.path.join(VECTORS, "rfc9162.json")) as f:
        v = json.load(f)
    leaves = [bytes.fromhex(h) for h in v["leaves_hex"]]
    lhs = [leaf_hash(l) for l in leaves]
    roots = {}
    for r in v["roots"]:
        roots[r["size"]] = bytes.fromhex(r["root_hex"])
        res.check("vector: MTH of %d leaves" % r["size"],
                  mth(lhs[:r["size"]]) == roots[r["size"]],
                  "got %s" % mth(lhs[:r["size"]]).hex())
    for c in v["inclusion"]:
        i, n = c["index"], c["size"]
        proof = [bytes.fromhex(h) for h in c["proof_hex"]]
        res.verifies("vector: inclusion of %d in %d" % (i, n),
                     verify_inclusion, i, n, lhs[i], proof, roots[n])
        res.all_rejected("vector: inclusion of %d in %d" % (i, n), verify_inclusion,
                         inclusion_tampers(i, n, lhs[i], proof, roots[n]))
    for c in v["consistency"]:
        a, b = c["old_size"], c["new_size"]
        proof = [bytes.fromhex(h) for h in c["proof_hex"]]
        res.verifies("vector: consistency %d -> %d" % (a, b),
                     verify_consistency, a, b, roots[a], roots[b], proof)
        res.all_rejected("vector: consistency %d -> %d" % (a, b), verify_consistency,
                         consistency_tampers(a, b, roots[a], roots[b], proof))
    res.check("vector: %d inclusion and %d consistency cases" % (
        len(v["inclusion"]), len(v["consistency"])),
        len(v["inclusion"]) > 0 and len(v["consistency"]) > 0)

    with open(os.path.join(VECTORS, "c2sp-note.json")) as f:
        n = json.load(f)
    priv = ed_private(bytes.fromhex(n["seed_hex"]))
    pk = ed_public_bytes(priv)
    res.check("vector: public key from seed", pk.hex() == n["public_key_hex"], pk.hex())
    res.check("vector: key id", note_key_id(n["origin"], pk).hex() == n["key_id_hex"],
              note_key_id(n["origin"], pk).hex())
    res.check("vector: verifier key string", vkey_format(n["origin"], pk) ==
              n["verifier_key"], vkey_format(n["origin"], pk))
    parsed = res.verifies("vector: verifier key parses", vkey_parse, n["verifier_key"])
    if parsed:
        res.check("vector: parsed verifier key",
                  parsed == (n["origin"], bytes.fromhex(n["key_id_hex"]), pk))
    body = "%s\n%d\n%s\n" % (n["origin"], 8, base64.b64encode(roots[8]).decode())
    res.check("vector: checkpoint body", body == n["checkpoint_body"], repr(body))
    res.check("vector: signed note (Ed25519 is deterministic)",
              note_sign(priv, n["origin"], n["checkpoint_body"]) == n["signed_note"],
              repr(note_sign(priv, n["origin"], n["checkpoint_body"])))
    got = res.verifies("vector: signed note verifies", checkpoint_open,
                       n["signed_note"], n["verifier_key"], n["origin"])
    if got:
        res.check("vector: checkpoint contents", got == (8, roots[8]))
    res.all_rejected("vector: signed note", checkpoint_open,
                     [(w, (t, n["verifier_key"], n["origin"]))
                      for w, t in note_tampers(n["signed_note"], n["origin"], pk)])
    entry = bytes.fromhex(n["entry_bytes_hex"])
    sig = bytes.fromhex(n["entry_signature_hex"])
    res.check("vector: entry context", n["entry_context"].encode() == ENTRY_CONTEXT)
    res.check("vector: entry signature", priv.sign(ENTRY_CONTEXT + entry) == sig)
    res.check("vector: entry signature verifies", ed_verify(pk, ENTRY_CONTEXT + entry, sig))
    res.check("vector: entry signature without the context is rejected",
              not ed_verify(pk, entry, sig))


def note_tampers(note, name, pk):
    """Variants of a good checkpoint note that must all be rejected."""
    body, sigline = note[:note.rfind("\n\n") + 1], note[note.rfind("\n\n") + 2:]
    lines = body.split("\n")
    size = int(lines[1])
    blob = base64.b64decode(sigline.rstrip("\n").split(" ")[2])
    root = base64.b64decode(lines[2])
    other = Ed25519PrivateKey.generate()
    forged = note_sign(other, name, body)  # right name, wrong key
    fblob = base64.b64decode(forged[forged.rfind(" ") + 1:])
    same_id = body + "\n" + EM_DASH + " " + name + " " + base64.b64encode(
        note_key_id(name, pk) + fblob[4:]).decode() + "\n"
    return [
        ("size + 1", note.replace("\n%d\n" % size, "\n%d\n" % (size + 1), 1)),
        ("root changed", note.replace(lines[2], base64.b64encode(
            flip(root, 31)).decode(), 1)),
        ("origin changed", "x" + note),
        ("signature byte flipped", body + "\n" + EM_DASH + " " + name + " " +
         base64.b64encode(blob[:10] + flip(blob[10:])).decode() + "\n"),
        ("key id changed", body + "\n" + EM_DASH + " " + name + " " +
         base64.b64encode(flip(blob[:4]) + blob[4:]).decode() + "\n"),
        ("signed by another key with the same name", forged),
        ("another key's signature under our key id", same_id),
        ("another key's signature under another name",
         note_sign(other, "someone.else/log", body)),
        ("no signature lines", body + "\n"),
        ("no blank line", body + sigline),
        ("no final newline", note[:-1]),
        ("hyphen instead of em dash", note.replace(EM_DASH, "-")),
        ("extension line added to a signed body",
         body + "ext\n" + "\n" + sigline),
    ]


class Server:
    def __init__(self, bin_path, tmp, admin_pk):
        self.data = os.path.join(tmp, "data")
        self.ready = os.path.join(tmp, "ready")
        self.log_path = os.path.join(tmp, "server.log")
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [bin_path, "--data", self.data, "--listen", "127.0.0.1:0",
             "--log-key", os.path.join(tmp, "log.key"), "--origin", ORIGIN,
             "--admin-key", admin_pk.hex(), "--ready-file", self.ready,
             "--workers", "4", "--map-size", "64"],
            stdout=self.log_file, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.ready):
                with open(self.ready) as f:
                    text = f.read()
                if text.endswith("\n"):
                    return text.strip()
            if self.proc.poll() is not None:
                raise RuntimeError("partsledgerd exited with status %d before it was "
                                   "ready" % self.proc.returncode)
            time.sleep(0.05)
        raise RuntimeError("partsledgerd not ready after %.0f s" % timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        return self.proc.returncode

    def log_tail(self, n=20):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""


class Ledger:
    """Raw-bytes calls through grpcio: no generated code."""

    def __init__(self, addr):
        self.channel = grpc.insecure_channel(addr)

    def call(self, method, req=b""):
        fn = self.channel.unary_unary(method, request_serializer=lambda b: b,
                                      response_deserializer=lambda b: b)
        return fn(req, timeout=RPC_TIMEOUT)

    def ledger(self, name, req=b""):
        return Msg(self.call("/partsledger.v1.Ledger/" + name, req))

    def close(self):
        self.channel.close()


def make_entry(admin, name="interop"):
    """A SignedEntry enrolling a fresh auditor, signed by the admin key.
    Returns (SignedEntry bytes, Entry bytes, signature)."""
    enrolled = (pb_bytes(1, os.urandom(32)) + pb_uint(2, ROLE_AUDITOR) +
                pb_bytes(3, name))
    entry = (pb_bytes(1, os.urandom(16)) + pb_uint(2, int(time.time() * 1000)) +
             pb_bytes(10, enrolled))
    sig = admin.sign(ENTRY_CONTEXT + entry)
    se = pb_bytes(1, entry) + pb_bytes(2, ed_public_bytes(admin)) + pb_bytes(3, sig)
    return se, entry, sig


class Run:
    def __init__(self, res, ledger, vkey, log_pk, admin_pk):
        self.res = res
        self.rpc = ledger
        self.vkey = vkey
        self.log_pk = log_pk
        self.admin_pk = admin_pk
        self.checkpoints = {}  # size -> (root, note)
        self.sent = {}  # index -> (entry bytes, signer, signature)
        self.leaves = {}  # index -> leaf bytes

    def checkpoint(self, what, note, size=None):
        """Verifies a note, records it; returns (size, root) or None."""
        got = self.res.verifies("%s: checkpoint note verifies" % what,
                                checkpoint_open, note, self.vkey, ORIGIN)
        if got is None:
            return None
        if size is not None:
            self.res.check("%s: checkpoint size %d matches the response's %d"
                           % (what, got[0], size), got[0] == size)
        old = self.checkpoints.get(got[0])
        if old is not None:
            self.res.check("%s: one root per size (%d)" % (what, got[0]),
                           old[0] == got[1], "two signed roots for one size: a fork")
        else:
            self.checkpoints[got[0]] = (got[1], note)
        return got

    def entry(self, index):
        """GetEntry: returns the leaf bytes, checking the leaf hash."""
        r = self.rpc.ledger("GetEntry", pb_uint(1, index))
        leaf = r.bytes_(2)
        self.res.check("GetEntry(%d): index" % index, r.uint(1) == index)
        self.res.check("GetEntry(%d): leaf_hash = SHA-256(0x00 || leaf)" % index,
                       r.bytes_(3) == leaf_hash(leaf))
        prev = self.leaves.setdefault(index, leaf)
        self.res.check("GetEntry(%d): same leaf bytes every time" % index, prev == leaf)
        return leaf

    def append_one(self, n):
        se, entry, sig = make_entry(self.admin)
        r = self.rpc.ledger("Append", pb_bytes(1, se))
        index, size = r.uint(1), r.uint(6)
        what = "Append #%d (index %d)" % (n, index)
        self.res.check(what + ": not a duplicate", not r.boolean(5))
        self.sent[index] = (entry, self.admin_pk, sig)
        self.check_append_response(what, r, index, size)
        return se, index

    def check_append_response(self, what, r, index, size):
        got = self.checkpoint(what, r.string(3), size)
        leaf = self.entry(index)
        self.res.check(what + ": leaf_hash matches GetEntry's leaf",
                       r.bytes_(2) == leaf_hash(leaf))
        if got:
            proof = r.repeated(4)
            self.res.verifies(what + ": inclusion proof in its checkpoint",
                              verify_inclusion, index, got[0], leaf_hash(leaf),
                              proof, got[1])
            return proof, got
        return None, None

    def check_leaf(self, index, leaf):
        what = "leaf %d" % index
        try:
            lf = Msg(leaf)
            se = lf.msg(3)
            entry, signer, sig = se.bytes_(1), se.bytes_(2), se.bytes_(3)
            e = Msg(entry)
        except ValueError as ex:
            self.res.check(what + ": parses as Leaf/SignedEntry/Entry", False, str(ex))
            return
        self.res.check(what + ": Leaf.index", lf.uint(1) == index,
                       "says %d" % lf.uint(1))
        self.res.check(what + ": integrated_at_ms is set", lf.int64(2) > 0)
        self.res.check(what + ": SignedEntry signature verifies",
                       ed_verify(signer, ENTRY_CONTEXT + entry, sig))
        self.res.check(what + ": request_id is 16 bytes", len(e.bytes_(1)) == 16)
        if index == 0:
            body = e.msg(10)
            self.res.check("genesis leaf: signed by the log key", signer == self.log_pk,
                           signer.hex())
            self.res.check("genesis leaf: enrolls the admin key as ROLE_ADMIN",
                           body.bytes_(1) == self.admin_pk and body.uint(2) == ROLE_ADMIN)
        elif index in self.sent:
            s_entry, s_signer, s_sig = self.sent[index]
            self.res.check(what + ": holds the exact entry, signer and signature sent",
                           (entry, signer, sig) == (s_entry, s_signer, s_sig))
        else:
            self.res.check(what + ": is an entry this test sent", False)

    def run(self, admin):
        self.admin = admin
        res, rpc = self.res, self.rpc

        info = rpc.ledger("GetLogInfo")
        res.check("GetLogInfo: origin", info.string(1) == ORIGIN, info.string(1))
        res.check("GetLogInfo: verifier_key is the one for the log key",
                  info.string(2) == self.vkey, info.string(2))
        res.check("GetLogInfo: public_key", info.bytes_(3) == self.log_pk)
        res.check("GetLogInfo: a new log holds only the genesis leaf",
                  info.uint(4) == 1, "size %d" % info.uint(4))

        cp = rpc.ledger("GetCheckpoint")
        got = self.checkpoint("GetCheckpoint (genesis)", cp.string(1), cp.uint(2))
        if got:
            res.check("GetCheckpoint (genesis): root_hash", cp.bytes_(3) == got[1])

        # One at a time.
        first_se = first_index = None
        tamper_sample = None
        for n in range(N_SINGLE):
            se, index = self.append_one(n)
            res.check("Append #%d: index %d is the next one" % (n, index),
                      index == n + 1)
            if first_se is None:
                first_se, first_index = se, index
            if n == N_SINGLE // 2 + 1:
                tamper_sample = index

        # The same request again: the original index, and a proof for it.
        r = rpc.ledger("Append", pb_bytes(1, first_se))
        res.check("Append (repeat): duplicate with the original index",
                  r.boolean(5) and r.uint(1) == first_index,
                  "duplicate=%s index=%d" % (r.boolean(5), r.uint(1)))
        self.check_append_response("Append (repeat)", r, r.uint(1), r.uint(6))

        # A bad signature, and a good one over the entry without the
        # context, must be refused UNAUTHENTICATED and leave the log as it was.
        se, entry, sig = make_entry(admin)
        bare_sig = admin.sign(entry)
        size_before = rpc.ledger("GetLogInfo").uint(4)
        for what, s in (("a bad signature", flip(sig)),
                        ("a signature without the context", bare_sig)):
            bad = pb_bytes(1, entry) + pb_bytes(2, self.admin_pk) + pb_bytes(3, s)
            try:
                rpc.ledger("Append", pb_bytes(1, bad))
                res.check("Append with %s is refused" % what, False, "it was accepted")
            except grpc.RpcError as e:
                res.check("Append with %s is refused UNAUTHENTICATED" % what,
                          e.code() == grpc.StatusCode.UNAUTHENTICATED, str(e.code()))
        res.check("refused appends leave the log as it was",
                  rpc.ledger("GetLogInfo").uint(4) == size_before)

        # A batch.
        batch = [make_entry(admin, "interop batch %d" % i) for i in range(N_BATCH)]
        r = rpc.ledger("AppendBatch", b"".join(pb_bytes(1, b[0]) for b in batch))
        size = r.uint(3)
        got = self.checkpoint("AppendBatch", r.string(2), size)
        results = [Msg(x) for x in r.repeated(1)]
        res.check("AppendBatch: %d results" % N_BATCH, len(results) == N_BATCH,
                  "got %d" % len(results))
        base = N_SINGLE + 1
        for i, (ar, (_, entry, sig)) in enumerate(zip(results, batch)):
            what = "AppendBatch[%d]" % i
            index = ar.uint(3)
            if not res.check(what + ": code 0", ar.int64(1) == 0,
                             "code %d: %s" % (ar.int64(1), ar.string(2))):
                continue
            res.check(what + ": index %d in order" % index, index == base + i)
            res.check(what + ": not a duplicate", not ar.boolean(5))
            self.sent[index] = (entry, self.admin_pk, sig)
            leaf = self.entry(index)
            res.check(what + ": leaf_hash", ar.bytes_(4) == leaf_hash(leaf))
            if got:
                p = rpc.ledger("GetInclusionProof", pb_uint(1, index) + pb_uint(2, size))
                res.check(what + ": proof response names index and size",
                          p.uint(1) == index and p.uint(2) == size)
                res.verifies(what + ": inclusion proof in the batch checkpoint",
                             verify_inclusion, index, size, leaf_hash(leaf),
                             p.repeated(3), got[1])

        # The final tree.
        cp = rpc.ledger("GetCheckpoint")
        final = self.checkpoint("GetCheckpoint (final)", cp.string(1), cp.uint(2))
        if final is None:
            return None
        final_size, final_root = final
        res.check("final size is genesis + %d + %d" % (N_SINGLE, N_BATCH),
                  final_size == 1 + N_SINGLE + N_BATCH, "size %d" % final_size)
        res.check("GetCheckpoint (final): root_hash", cp.bytes_(3) == final_root)
        res.check("GetLogInfo: size is the final size",
                  rpc.ledger("GetLogInfo").uint(4) == final_size)

        lhs = []
        for i in range(final_size):
            leaf = self.entry(i)
            self.check_leaf(i, leaf)
            lh = leaf_hash(leaf)
            lhs.append(lh)
            p = rpc.ledger("GetInclusionProof", pb_uint(1, i) + pb_uint(2, final_size))
            res.check("GetInclusionProof(%d, %d): response fields" % (i, final_size),
                      p.uint(1) == i and p.uint(2) == final_size and p.bytes_(4) == lh)
            proof = p.repeated(3)
            res.verifies("GetInclusionProof(%d, %d) verifies" % (i, final_size),
                         verify_inclusion, i, final_size, lh, proof, final_root)
            if i == tamper_sample:
                res.all_rejected("server inclusion proof %d/%d" % (i, final_size),
                                 verify_inclusion, inclusion_tampers(
                                     i, final_size, lh, proof, final_root))
            # tree_size 0 means the current size.
            p0 = rpc.ledger("GetInclusionProof", pb_uint(1, i))
            res.check("GetInclusionProof(%d, 0) is the proof at the current size" % i,
                      p0.uint(2) == final_size and p0.repeated(3) == proof)

        res.check("every signed root is MTH of the logged leaves",
                  all(mth(lhs[:s]) == root for s, (root, _) in self.checkpoints.items()),
                  ", ".join("size %d" % s for s, (root, _) in self.checkpoints.items()
                            if mth(lhs[:s]) != root))

        sizes = sorted(self.checkpoints)
        res.check("checkpoints seen at %d sizes" % len(sizes), len(sizes) >= N_SINGLE + 2)
        # Every earlier size to the final one, and each size to the next.
        pairs = sorted(set([(s, final_size) for s in sizes] +
                           list(zip(sizes, sizes[1:]))))
        sample = next((s for s in sizes if s > 2 and s & (s - 1)), None)
        for old, new in pairs:
            c = rpc.ledger("GetConsistencyProof", pb_uint(1, old) + pb_uint(2, new))
            res.check("GetConsistencyProof(%d, %d): response sizes" % (old, new),
                      c.uint(2) == old and c.uint(3) == new)
            proof = c.repeated(1)
            res.verifies("GetConsistencyProof(%d, %d) verifies" % (old, new),
                         verify_consistency, old, new, self.checkpoints[old][0],
                         self.checkpoints[new][0], proof)
            if new == final_size and old in (sample, 1, 8, 16):
                res.all_rejected("server consistency proof %d -> %d" % (old, new),
                                 verify_consistency, consistency_tampers(
                                     old, new, self.checkpoints[old][0],
                                     final_root, proof))
        c0 = rpc.ledger("GetConsistencyProof", pb_uint(1, 5))
        res.check("GetConsistencyProof(5, 0) is to the current size",
                  c0.uint(3) == final_size)

        res.all_rejected("server checkpoint note", checkpoint_open,
                         [(w, (t, self.vkey, ORIGIN)) for w, t in
                          note_tampers(cp.string(1), ORIGIN, self.log_pk)])
        res.check("a checkpoint for another origin is rejected",
                  rejects(checkpoint_open, cp.string(1), self.vkey, "other.test/log"))
        other_vkey = vkey_format(ORIGIN, ed_public_bytes(Ed25519PrivateKey.generate()))
        res.check("the checkpoint is rejected under another verifier key",
                  rejects(checkpoint_open, cp.string(1), other_vkey, ORIGIN))
        name, kid, pk = vkey_parse(self.vkey)
        res.check("a verifier key with a wrong key id is rejected",
                  rejects(vkey_parse, "%s+%s+%s" % (name, flip(kid).hex(),
                                                    self.vkey.split("+", 2)[2])))
        return final_size, final_root, cp.string(1)


def run_cli(res, cli, addr, vkey, run, final_size, final_note, tmp):
    """The C client's documents must satisfy this verifier, and this
    verifier's documents the C client's `verify`."""

    def cli_run(*args, stdin=None):
        return subprocess.run([cli, "--server", addr] + list(args), input=stdin,
                              capture_output=True, text=True, timeout=60)

    p = cli_run("health")
    res.check("cli health: SERVING", p.returncode == 0 and "SERVING" in p.stdout,
              p.stdout + p.stderr)
    for index in (0, 1, final_size // 2, final_size - 1):
        p = cli_run("prove", str(index))
        if not res.check("cli prove %d" % index, p.returncode == 0, p.stderr):
            continue
        doc = json.loads(p.stdout)
        got = res.verifies("cli prove %d: checkpoint" % index, checkpoint_open,
                           doc["checkpoint"], vkey, ORIGIN)
        if got:
            leaf = bytes.fromhex(doc["leaf"])
            res.check("cli prove %d: leaf is GetEntry's" % index,
                      leaf == run.leaves.get(index) and int(doc["index"]) == index)
            res.check("cli prove %d: tree_size is the checkpoint's size" % index,
                      int(doc["tree_size"]) == got[0],
                      "%s vs %d" % (doc["tree_size"], got[0]))
            res.verifies("cli prove %d: inclusion proof" % index, verify_inclusion,
                         index, got[0], leaf_hash(leaf),
                         [bytes.fromhex(h) for h in doc["proof"]], got[1])
    old_size = min(s for s in run.checkpoints if s > 1)
    old_path = os.path.join(tmp, "old.checkpoint")
    with open(old_path, "w") as f:
        f.write(run.checkpoints[old_size][1])
    p = cli_run("prove", "--consistency", str(old_size), "--old-checkpoint", old_path)
    if res.check("cli prove --consistency %d" % old_size, p.returncode == 0, p.stderr):
        doc = json.loads(p.stdout)
        a = res.verifies("cli consistency: old checkpoint", checkpoint_open,
                         doc["old_checkpoint"], vkey, ORIGIN)
        b = res.verifies("cli consistency: new checkpoint", checkpoint_open,
                         doc["new_checkpoint"], vkey, ORIGIN)
        if a and b:
            res.check("cli consistency: the old checkpoint is the one passed in",
                      doc["old_checkpoint"] == run.checkpoints[old_size][1] and
                      a[0] == old_size)
            res.check("cli consistency: sizes are the checkpoints' sizes",
                      int(doc["old_size"]) == a[0] and int(doc["new_size"]) == b[0],
                      "%s/%s vs %d/%d" % (doc["old_size"], doc["new_size"], a[0], b[0]))
            res.verifies("cli consistency: proof", verify_consistency, a[0], b[0],
                         a[1], b[1], [bytes.fromhex(h) for h in doc["proof"]])

    # Documents assembled here from raw RPC answers, checked by the C verifier.
    index = final_size - 3
    pr = Ledger(addr)
    try:
        p = pr.ledger("GetInclusionProof", pb_uint(1, index) + pb_uint(2, final_size))
        c = pr.ledger("GetConsistencyProof", pb_uint(1, old_size) + pb_uint(2, final_size))
    finally:
        pr.close()
    inc = {"type": "inclusion", "index": index, "tree_size": final_size,
           "leaf": run.leaves[index].hex(), "proof": [h.hex() for h in p.repeated(3)],
           "checkpoint": final_note}
    con = {"type": "consistency", "old_size": old_size, "new_size": final_size,
           "old_checkpoint": run.checkpoints[old_size][1],
           "new_checkpoint": final_note, "proof": [h.hex() for h in c.repeated(1)]}
    for what, doc in (("inclusion", inc), ("consistency", con)):
        q = cli_run("verify", "--vkey", vkey, "-", stdin=json.dumps(doc))
        res.check("cli verify accepts this script's %s document" % what,
                  q.returncode == 0, q.stdout + q.stderr)
        bad = dict(doc)
        bad["proof"] = [flip(bytes.fromhex(doc["proof"][0])).hex()] + doc["proof"][1:]
        q = cli_run("verify", "--vkey", vkey, "-", stdin=json.dumps(bad))
        res.check("cli verify rejects a tampered %s document" % what,
                  q.returncode == 1, "exit %d: %s" % (q.returncode, q.stdout + q.stderr))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server-bin", required=True)
    ap.add_argument("--cli-bin", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()
    res = Results()

    try:
        run_vectors(res)
    except Exception:
        res.check("known-answer vectors", False, traceback.format_exc())

    tmp = tempfile.mkdtemp(prefix="partsledger-interop-")
    server = None
    try:
        log_seed, admin_seed = os.urandom(32), os.urandom(32)
        write_key_file(os.path.join(tmp, "log.key"), log_seed)
        write_key_file(os.path.join(tmp, "admin.key"), admin_seed)
        log_pk = ed_public_bytes(ed_private(log_seed))
        admin = ed_private(admin_seed)
        admin_pk = ed_public_bytes(admin)
        vkey = vkey_format(ORIGIN, log_pk)

        server = Server(args.server_bin, tmp, admin_pk)
        addr = server.wait_ready()
        res.check("server ready on 127.0.0.1", addr.startswith("127.0.0.1:") and
                  int(addr.rsplit(":", 1)[1]) > 0, addr)
        ledger = Ledger(addr)
        try:
            health = ledger.call("/grpc.health.v1.Health/Check", b"")
            res.check("grpc.health.v1.Health/Check: SERVING", health == b"\x08\x01",
                      health.hex())
            run = Run(res, ledger, vkey, log_pk, admin_pk)
            out = run.run(admin)
        finally:
            ledger.close()
        if out is not None:
            run_cli(res, args.cli_bin, addr, vkey, run, out[0], out[2], tmp)
    except Exception:
        res.check("interop run", False, traceback.format_exc())
    finally:
        if server is not None:
            rc = server.stop()
            res.check("server stops cleanly on SIGTERM", rc == 0, "exit status %s" % rc)
            if res.failed:
                print("--- server log (tail) ---\n" + server.log_tail(), flush=True)
        if args.keep:
            print("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print("%d passed, %d failed" % (res.passed, res.failed))
    return 0 if res.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
