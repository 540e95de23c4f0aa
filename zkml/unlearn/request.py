"""The provider's deletion request (circuits/unlearning.md section 2): its canonical
bytes, strict parser, `C_req` and id, and how `zkml unlearn request` computes it."""

from __future__ import annotations

import hashlib
import math
import os
import struct
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from zkml.errors import InputError
from zkml.limits import Limit
from zkml.unlearn.data import Dataset
from zkml.unlearn.files import small_blas

__all__ = ["Request", "RequestFormatError", "make_request", "parse_dyadic", "check_params",
           "MAGIC", "VERSION", "DEFAULT_FRACTION", "DEFAULT_RANK", "DEFAULT_LAMBDA",
           "DEFAULT_K", "DEFAULT_BLOCK", "DEFAULT_MIN_N"]

MAGIC = b"ZKMLUREQ"
VERSION = 1
C_REQ_TAG = b"zkml/unlearn/request/v1"
DEFAULT_FRACTION = 0.10
DEFAULT_RANK = 4
DEFAULT_BLOCK = 64
DEFAULT_K = 16
DEFAULT_FU = 14
DEFAULT_LAMBDA = Fraction(1, 8)
DEFAULT_MIN_N = 64
#: Largest layer a request may name (d_out * d_in) and largest rank: bounded sizes.
MAX_WEIGHTS = 1 << 22
MAX_RANK = 16
#: Largest layer input a request is computed from: tau's formula squares it (float64).
MAX_INPUT = 2.0 ** 64
#: The provider's mu bound is this many times its own solution's largest |mu|.
MU_MARGIN = 16
#: Balanced precision's weight width: the provider's estimate of the client's format.
ESTIMATE_WEIGHT_BITS = 12


class RequestFormatError(InputError):
    """A request file does not parse under circuits/unlearning.md section 2."""

    summary = "invalid unlearning request"


@dataclass(frozen=True, eq=False)
class Request:
    """A deletion request. `mask` is (d_out, d_in) bool; `u` is (n_affected, B, rank)
    int16, one basis per affected block in (o, j) order."""

    layer: str
    weight: str
    d_out: int
    d_in: int
    block: int
    rank: int
    k: int
    f_u: int
    lam: Fraction
    tau: Fraction
    mu_max: Fraction
    min_n: int
    forget_class: int          # -1: a samples request
    fraction_ppm: int
    mask: np.ndarray
    u: np.ndarray
    _bytes: bytes = field(default=b"", repr=False)
    #: Not in the bytes: the provider's own solution's largest compensation, in units of
    #: the layer's largest weight (0 when unknown, e.g. a parsed request).
    provider_shift: float = field(default=0.0, repr=False)

    @property
    def forget_kind(self) -> int:
        """0 for a class request, 1 for samples."""
        return 1 if self.forget_class < 0 else 0

    @property
    def blocks_per_row(self) -> int:
        """Blocks of B inputs per output row."""
        return -(-self.d_in // self.block)

    def affected(self) -> list[tuple[int, int]]:
        """The affected blocks (o, j) in order: those with a masked weight."""
        return _affected(self.mask, self.block)

    def block_mask(self, o: int, j: int) -> np.ndarray:
        """Block (o, j)'s mask as (B,) bool, False past d_in."""
        out = np.zeros(self.block, dtype=bool)
        row = self.mask[o, j * self.block:(j + 1) * self.block]
        out[:row.size] = row
        return out

    def to_bytes(self) -> bytes:
        """The canonical encoding."""
        if self._bytes:
            return self._bytes
        return _encode(self)

    @property
    def c_req(self) -> bytes:
        """SHA256 of the tag and the request bytes."""
        return hashlib.sha256(C_REQ_TAG + self.to_bytes()).digest()

    @property
    def request_id(self) -> str:
        """The first 16 hex digits of C_req."""
        return self.c_req.hex()[:16]

    @classmethod
    def from_bytes(cls, data: bytes, what: str = "request") -> Request:
        """Parse strictly (RequestFormatError naming what is wrong)."""
        return _decode(bytes(data), what)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Request:
        """Read and parse a request file."""
        from zkml.fileio import read_bytes

        return cls.from_bytes(read_bytes(path, "request", limit=REQUEST_LIMIT, error=InputError),
                              f"request {path}")


_MAX_FILE = 8 + 4 + 2 * 258 + 4 * 10 + 3 * 12 + 9 + MAX_WEIGHTS // 8 + 4 + \
    MAX_WEIGHTS * MAX_RANK * 2
REQUEST_LIMIT = Limit("unlearning request", "ZKML_MAX_UNLEARN_REQUEST", _MAX_FILE)


def _affected(mask: np.ndarray, block: int) -> list[tuple[int, int]]:
    d_out, d_in = mask.shape
    nb = -(-d_in // block)
    padded = np.zeros((d_out, nb * block), dtype=bool)
    padded[:, :d_in] = mask
    hit = padded.reshape(d_out, nb, block).any(axis=2)
    return [(int(o), int(j)) for o, j in zip(*np.nonzero(hit), strict=True)]


def _dyadic(v: Fraction) -> tuple[int, int]:
    den = v.denominator
    if v <= 0 or den & (den - 1):
        raise InputError(f"{v} is not a positive dyadic number (m * 2^-e)")
    m, e = v.numerator, den.bit_length() - 1
    while m % 2 == 0:  # canonical: an odd mantissa
        m //= 2
        e -= 1
    return m, e


#: The parser's range of a dyadic's exponent and mantissa (section 2).
MAX_EXPONENT = 200
MAX_MANTISSA = (1 << 64) - 1


def parse_dyadic(text: str, name: str) -> Fraction:
    """A positive dyadic parameter from the command line: a decimal with a finite binary
    expansion (`0.125`, `1`, `1e-3` is refused), or `2^E` / `M*2^E` (`2^-3`, `3*2^-10`).
    InputError (one line) for anything else: NaN, infinity, zero, a negative value, a
    value that is not dyadic, or one outside the request's range."""
    t = text.strip().replace(" ", "")
    try:
        if "^" in t:
            mant, _, exp = t.rpartition("2^")
            sign = -1 if mant.startswith("-") else 1
            mant = mant.lstrip("+-")
            if mant and not mant.endswith("*"):
                raise ValueError
            mant = mant[:-1]
            if not exp.lstrip("+-").isdigit() or len(exp) > 6:
                raise ValueError
            val = sign * Fraction(int(mant) if mant else 1) * Fraction(2) ** int(exp)
        else:
            val = Fraction(t)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise InputError(f"{name} {text!r} is not a number (write a decimal such as 0.125, "
                         "or 2^-3)") from None
    if val <= 0:
        raise InputError(f"{name} {text!r} must be positive")
    if val.denominator & (val.denominator - 1):
        raise InputError(f"{name} {text!r} is not a dyadic number (an integer times a power "
                         f"of two, such as 0.125 or 3*2^-10); the nearest are "
                         f"{_near_dyadic(val)}")
    m, e = _dyadic(val)
    if m > MAX_MANTISSA or abs(e) > MAX_EXPONENT:
        raise InputError(f"{name} {text!r} is outside a request's range (odd mantissa below "
                         f"2^64, exponent within +-{MAX_EXPONENT})")
    return val


def _near_dyadic(v: Fraction) -> str:
    lo = Fraction(2) ** math.floor(math.log2(v))
    return f"{float(lo):g} and {float(2 * lo):g}"


def check_params(*, fraction: float, rank: int, block: int, k: int, min_n: int,
                 lam: Fraction, tau: Fraction | None = None,
                 mu_max: Fraction | None = None) -> None:
    """The provider's parameters against the ranges the parser accepts (section 2), so
    a request this zkml writes always parses: InputError naming the first bad one."""
    if not (math.isfinite(fraction) and 0 < fraction < 1) or round(fraction * 10 ** 6) < 1:
        raise InputError(f"the fraction {fraction} must be between 0 and 1 (at least 1e-6)")
    if not 16 <= block <= 256 or block & (block - 1):
        raise InputError(f"the block {block} must be a power of two from 16 to 256")
    if not 1 <= rank <= min(MAX_RANK, block):
        raise InputError(f"the rank {rank} must be between 1 and {min(MAX_RANK, block)}")
    if not 0 <= k <= 24:
        raise InputError(f"the fine-grid bits k = {k} must be between 0 and 24")
    if not 1 <= min_n <= 1 << 20:
        raise InputError(f"the minimum N {min_n} must be between 1 and {1 << 20}")
    for name, v in (("lambda", lam), ("tau", tau), ("mu_max", mu_max)):
        if v is not None:
            parse_dyadic(str(v), name)


def _str(s: str) -> bytes:
    b = s.encode()
    if not 1 <= len(b) <= 256:
        raise InputError(f"the name {s[:40]!r} must take 1 to 256 bytes in a request")
    return struct.pack("<H", len(b)) + b


def _encode(r: Request) -> bytes:
    out = [MAGIC, struct.pack("<I", VERSION), _str(r.layer), _str(r.weight),
           struct.pack("<6I", r.d_out, r.d_in, r.block, r.rank, r.k, r.f_u)]
    for v in (r.lam, r.tau, r.mu_max):
        out.append(struct.pack("<Qi", *_dyadic(v)))
    out.append(struct.pack("<IBiI", r.min_n, r.forget_kind, r.forget_class, r.fraction_ppm))
    out.append(np.packbits(r.mask.reshape(-1), bitorder="little").tobytes())
    out.append(struct.pack("<I", len(r.u)))
    out.append(np.ascontiguousarray(r.u, dtype="<i2").tobytes())
    return b"".join(out)


class _Reader:
    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.pos, self.what = data, 0, what

    def fail(self, msg: str) -> RequestFormatError:
        return RequestFormatError(f"{self.what}: {msg}")

    def take(self, n: int, name: str) -> bytes:
        if n > len(self.data) - self.pos:
            raise self.fail(f"truncated at {name}")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str, name: str) -> tuple:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), name))

    def str(self, name: str) -> str:
        (n,) = self.unpack("<H", name)
        if not 1 <= n <= 256:
            raise self.fail(f"{name} length {n} is outside 1..256")
        try:
            return self.take(n, name).decode()
        except UnicodeDecodeError:
            raise self.fail(f"{name} is not UTF-8") from None


def _check(ok: bool, rd: _Reader, msg: str) -> None:
    if not ok:
        raise rd.fail(msg)


def _decode(data: bytes, what: str) -> Request:
    rd = _Reader(data, what)
    _check(rd.take(8, "magic") == MAGIC, rd, "not an unlearning request (bad magic)")
    (version,) = rd.unpack("<I", "version")
    _check(version == VERSION, rd, f"version {version}; this zkml reads version {VERSION}")
    layer, weight = rd.str("layer name"), rd.str("weight name")
    d_out, d_in, block, rank, k, f_u = rd.unpack("<6I", "sizes")
    _check(1 <= d_out <= 1 << 16 and 1 <= d_in <= 1 << 16 and d_out * d_in <= MAX_WEIGHTS,
           rd, f"layer shape {d_out} x {d_in} is outside the limits")
    _check(16 <= block <= 256 and block & (block - 1) == 0, rd, f"block {block} is not a "
           "power of two in 16..256")
    _check(1 <= rank <= min(MAX_RANK, block), rd, f"rank {rank} is outside 1..16")
    _check(k <= 24 and 1 <= f_u <= 15, rd, f"k = {k} or f_u = {f_u} is out of range")
    vals = []
    for name in ("lambda", "tau", "mu_max"):
        m, e = rd.unpack("<Qi", name)
        _check(m % 2 == 1 and abs(e) <= 200, rd, f"{name} is not a canonical dyadic "
               "(odd mantissa, |exponent| <= 200)")
        vals.append(Fraction(m) / Fraction(2) ** e)
    min_n, kind, cls, ppm = rd.unpack("<IBiI", "parameters")
    _check(1 <= min_n <= 1 << 20 and 1 <= ppm <= 10 ** 6, rd, "min_n or fraction out of range")
    _check((kind == 0 and 0 <= cls <= 1 << 20) or (kind == 1 and cls == -1), rd,
           f"forget kind {kind} with class {cls}")
    size = d_out * d_in
    raw = np.frombuffer(rd.take(-(-size // 8), "mask"), dtype=np.uint8)
    bits = np.unpackbits(raw, bitorder="little")
    _check(not bits[size:].any(), rd, "mask bits set past the layer's size")
    mask = bits[:size].astype(bool).reshape(d_out, d_in)
    _check(bool(mask.any()), rd, "the mask is empty")
    affected = _affected(mask, block)
    (n_aff,) = rd.unpack("<I", "block count")
    _check(n_aff == len(affected), rd, f"{n_aff} bases for {len(affected)} affected blocks")
    u = np.frombuffer(rd.take(n_aff * block * rank * 2, "U"), dtype="<i2")
    u = u.astype(np.int64).reshape(n_aff, block, rank)
    _check(rd.pos == len(data), rd, f"{len(data) - rd.pos} trailing bytes")
    _check(not (u == -(1 << 15)).any(), rd, "a U entry is -2^15")
    req = Request(layer, weight, d_out, d_in, block, rank, k, f_u, *vals, min_n, cls, ppm,
                  mask, u, data)
    for b, (o, j) in enumerate(affected):
        bm = req.block_mask(o, j)
        pad = np.arange(block) + j * block >= d_in
        _check(not u[b][bm | pad].any(), rd, f"U of block ({o}, {j}) is nonzero on a masked "
               "or padding coordinate")
    return req


# -- how the provider computes a request ------------------------------------------------


def _pow2_ceil(v: float) -> Fraction:
    return Fraction(2) ** math.ceil(math.log2(v)) if v > 0 else Fraction(1, 1 << 20)


def _check_sets(net, forget: Dataset, retain: Dataset) -> None:
    """Both sets against the model's input (the first dense layer's width: every other
    supported op keeps the width) before any arithmetic on them."""
    features = net.layers[0].d_in if net.layers else None
    for what, ds in (("forget set", forget), ("retain set", retain)):
        if features is not None and ds.x.shape[1] != features:
            raise InputError(f"the {what} has {ds.x.shape[1]} features per sample; the model "
                             f"takes {features}")
        if not float(np.abs(ds.x).max()) < MAX_INPUT:
            raise InputError(f"the {what}'s values reach {float(np.abs(ds.x).max()):.3g}; a "
                             f"request needs them below {MAX_INPUT:g} (rescale the data)")


def _grads(net, layer, ds: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """(X, G): the layer's inputs and, per sample, the gradient of the sample's own
    output (the logit of its class for a classifier, the output for a regressor) with
    respect to the layer's output. A well-trained model's loss gradients on its training
    data are near zero; the output's gradient says what each weight contributes."""
    vals = net.forward(ds.x)
    out = vals[net.output].reshape(len(ds), -1)
    g_out = np.zeros_like(out)
    if ds.is_classification:
        if out.shape[1] < 2 or ds.y.min() < 0 or ds.y.max() >= out.shape[1]:
            raise InputError(f"labels must be class indices below the model's "
                             f"{out.shape[1]} outputs")
        g_out[np.arange(len(ds)), ds.y] = 1.0
    else:
        g_out[:] = 1.0
    return vals[layer.input_name].reshape(len(ds), -1), net.backward(vals, g_out, layer.node)


def _saliency(w: np.ndarray, xf: np.ndarray, gf: np.ndarray, xr: np.ndarray,
              gr: np.ndarray) -> np.ndarray:
    """Per weight (d_out, d_in), with g_n = outer(g_n, x_n) the per-sample gradient:
    `(w E_F[g] + |w| sqrt(E_F[g^2])) / (|w E_R[g]| + |w| sqrt(E_R[g^2]) + eps)`: the
    forget set's gradient x weight (signed: weights that push the forget outputs up) and
    Fisher diagonal over the retain set's."""
    def stats(x, g):
        n = x.shape[0]
        return g.T @ x / n, np.sqrt((g * g).T @ (x * x) / n)

    mf, ff = stats(xf, gf)
    mr, fr = stats(xr, gr)
    aw = np.abs(w)
    den = np.abs(w * mr) + aw * fr
    return (w * mf + aw * ff) / (den + 1e-6 * max(float(den.mean()), 1e-300))


def _u_block(xf: np.ndarray, gf_o: np.ndarray, cols: slice, bm: np.ndarray, block: int,
             rank: int, f_u: int) -> np.ndarray:
    m = np.zeros((xf.shape[0], block))
    part = gf_o[:, None] * xf[:, cols]
    m[:, :part.shape[1]] = part
    m[:, bm] = 0.0
    # The top right singular vectors of m: the top eigenvectors of the B x B Gram
    # matrix (one small symmetric eigensolve per block; a full SVD of the n x B matrix
    # is several times slower for the same vectors).
    ev, vecs = np.linalg.eigh(m.T @ m)
    order = np.argsort(-ev, kind="stable")
    u = np.zeros((block, rank))
    take = min(rank, int((ev > max(float(ev.max(initial=0.0)), 0.0) * 1e-12).sum()))
    for c in range(take):
        v = vecs[:, order[c]]
        u[:, c] = v if v[np.argmax(np.abs(v))] > 0 else -v   # a canonical sign
    u[bm] = 0.0
    q = np.floor(u * (1 << f_u) + 0.5)
    return np.clip(q, -(1 << 15) + 1, (1 << 15) - 1).astype(np.int64)


def make_request(model_path: str | os.PathLike[str], forget: Dataset, retain: Dataset, *,
                 layer: str | None = None, fraction: float = DEFAULT_FRACTION,
                 rank: int = DEFAULT_RANK, lam: Fraction = DEFAULT_LAMBDA, k: int = DEFAULT_K,
                 block: int = DEFAULT_BLOCK, min_n: int = DEFAULT_MIN_N,
                 tau: Fraction | None = None, mu_max: Fraction | None = None) -> Request:
    """The request of section 2 for `model_path`'s layer (`layer`: a node or weight name;
    None: the first dense layer), from the provider's forget and retain sets. `tau` and
    `mu_max` (real units) default to the values section 2 derives; every parameter is
    checked against the parser's ranges first (InputError)."""
    from zkml.quant.rounding import frac_bits_for
    from zkml.unlearn.netgrad import load_net

    lam = Fraction(lam)
    check_params(fraction=fraction, rank=rank, block=block, k=k, min_n=min_n, lam=lam,
                 tau=tau, mu_max=mu_max)
    net = load_net(model_path)
    la = net.layer(layer)
    if la.d_out * la.d_in > MAX_WEIGHTS:
        raise InputError(f"layer {la.node} has {la.d_out * la.d_in} weights; a request "
                         f"covers at most {MAX_WEIGHTS}")
    w = net.weight_matrix(next(s for s in net.steps if s.name == la.node))
    if forget.is_classification != retain.is_classification:
        raise InputError("the forget and retain sets must both hold class labels or both "
                         "real targets")
    _check_sets(net, forget, retain)
    xf, gf = _grads(net, la, forget)
    xr, gr = _grads(net, la, retain)
    sal = _saliency(w, xf, gf, xr, gr)
    count = max(1, round(fraction * sal.size))
    order = np.argsort(-sal.reshape(-1), kind="stable")[:count]
    mask = np.zeros(sal.size, dtype=bool)
    mask[order] = True
    mask = mask.reshape(sal.shape)
    f_u = DEFAULT_FU
    blocks = _affected(mask, block)
    with small_blas():
        u = np.stack([_u_block(xf, gf[:, o], slice(j * block, (j + 1) * block),
                               _pad_mask(mask, o, j, block), block, rank, f_u)
                      for o, j in blocks])
    classes = np.unique(forget.y) if forget.is_classification else np.array([])
    forget_class = int(classes[0]) if classes.size == 1 and not np.isin(
        classes[0], retain.y) else -1
    x_max = float(max(np.abs(xf).max(), np.abs(xr).max(), 1e-12))
    if not x_max < MAX_INPUT:  # tau's formula squares it; the grid cannot hold more anyway
        raise InputError(f"the layer's inputs on the provider's sets reach {x_max:.3g}; a "
                         f"request needs them below {MAX_INPUT:g} (rescale the data)")
    f_w = frac_bits_for(float(np.abs(w).max()), ESTIMATE_WEIGHT_BITS)
    if tau is None:
        tau = _pow2_ceil(4 * (float(lam) + block * x_max ** 2) * 2.0 ** -(f_w + k + 1))
    with small_blas():
        mu, shift = _provider_mu(w, xr, mask, blocks, u, f_u, lam, block)
    if mu_max is None:
        mu_max = _pow2_ceil(MU_MARGIN * mu) if mu > 0 else Fraction(1)
    return Request(la.node, la.weight, la.d_out, la.d_in, block, rank, k, f_u, lam, tau,
                   mu_max, min_n, forget_class, max(1, round(fraction * 10 ** 6)), mask, u,
                   provider_shift=shift / max(float(np.abs(w).max()), 1e-300))


def _pad_mask(mask: np.ndarray, o: int, j: int, block: int) -> np.ndarray:
    out = np.zeros(block, dtype=bool)
    row = mask[o, j * block:(j + 1) * block]
    out[:row.size] = row
    return out


def _provider_mu(w, xr, mask, blocks, u, f_u, lam, block) -> tuple[float, float]:
    """(largest |mu|, largest |compensation| on an unmasked weight), real units, of the
    provider's own Group-OBS solution on its retain set: the scale the request's mu
    bound is set from, and an estimate of whether the client's update fits its weight
    format (section 7)."""
    from zkml.unlearn.obs import solve_block

    n, d_in = xr.shape
    pad = np.zeros((n, -(-d_in // block) * block))
    pad[:, :d_in] = xr
    wp = np.zeros((w.shape[0], pad.shape[1]))
    wp[:, :d_in] = w
    best = shift = 0.0
    for b, (o, j) in enumerate(blocks):
        cols = slice(j * block, (j + 1) * block)
        xb = pad[:, cols]
        f = float(lam) * np.eye(block) + xb.T @ xb / n
        bm = _pad_mask(mask, o, j, block)
        d, mu = solve_block(f, -wp[o, cols], bm, u[b] / float(1 << f_u))
        best = max(best, float(np.abs(mu).max(initial=0.0)))
        shift = max(shift, float(np.abs(d[~bm]).max(initial=0.0)))
    return best, shift
