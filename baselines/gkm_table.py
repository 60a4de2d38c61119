"""gkm-SVM decision values through a table of l-mer weights: the same function, about 10x less work.

A gkm-SVM (gkmsvm-lite, normalised kernel, reverse complements included) scores

    f(x) = b + sum_s c_s * K(x, z_s) / sqrt(K(x, x) * K(z_s, z_s)),

where the raw kernel K(x, z) sums t(m) over every pair of l-long windows (u of x; v of z or of
its reverse complement) that differ in m positions, with t(m) = 0 beyond some m_max (3 for the
default l = 11, k = 7, d = 3). sqrt(K(x, x)) is the same for every support vector z_s, so

    f(x) = b + (sum over windows u of x of G(u)) / sqrt(K(x, x)),
    G(u) = sum_{m <= m_max} t(m) * sum_{v differing from u in m positions} W(v),
    W(v) = sum_s c_s / sqrt(K(z_s, z_s)) * (count of v among the windows of z_s and of its reverse complement).

`weight_table` builds W once per model as a dense array over all 4^l l-mers (l = 11: 4M
doubles, 32 MB); `decision_values` then reads W over each query window's Hamming ball (4,984
l-mers for l = 11, m_max = 3) instead of comparing the window with every window of every support
vector (995 x 190 x 2 for the default models). The numbers are gkmsvm-lite's up to float
rounding: it sums in float32 after the kernel, this in float64 (tests/test_baselines_gkmsvm.py
compares the two). Models this does not cover (another kernel family, l > 12) keep gkmsvm-lite's
own scoring (`covers`).
"""

from __future__ import annotations

import itertools
import weakref

import numpy as np
from numba import njit

MAX_L = 12  # 4^12 doubles = 128 MB; longer l-mers keep gkmsvm-lite's scoring

_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # GkmSVM object -> its WeightTable


class WeightTable:
    """W over all 4^l l-mers and the Hamming-ball offsets of one fitted gkm-SVM.

    weights: (4^l,) float64, indexed by the packed l-mer (base i of the window in bits 2i, 2i+1,
    A=0 C=1 G=2 T=3, as gkmsvm-lite packs them). offsets: (D,) uint32 XOR masks that change 0 to
    m_max bases; offset_weights: (D,) float64, t(m) of each mask.
    """

    def __init__(self, weights: np.ndarray, offsets: np.ndarray, offset_weights: np.ndarray, bias: float):
        self.weights, self.offsets, self.offset_weights, self.bias = weights, offsets, offset_weights, float(bias)


def covers(network) -> bool:
    """Whether `decision_values` applies to this gkmsvm-lite model (else use ``network(x)``)."""
    from gkmsvm.kernels.direct import DirectGkmKernel  # noqa: PLC0415

    kernel = getattr(network, "kernel", None)
    return (isinstance(kernel, DirectGkmKernel) and kernel.normalize and kernel.l <= MAX_L
            and hasattr(kernel, "_mismatch_table") and hasattr(kernel, "_min_matches"))


def hamming_offsets(l: int, max_mismatches: int, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """XOR masks turning a packed l-mer into every l-mer within `max_mismatches` of it, and t(m) of each.

    Returns (offsets (D,) uint32, weights (D,) float64) with D = sum_m C(l, m) 3^m; offset 0
    (the l-mer itself) comes first. XOR with 1, 2 or 3 in a base's two bits gives each of the
    three other bases once.
    """
    offsets, weights = [], []
    for m in range(max_mismatches + 1):
        for positions in itertools.combinations(range(l), m):
            for values in itertools.product((1, 2, 3), repeat=m):
                offsets.append(sum(v << (2 * p) for p, v in zip(positions, values)))
                weights.append(table[m])
    return np.asarray(offsets, dtype=np.uint32), np.asarray(weights, dtype=np.float64)


def packed_windows(kernel, x: np.ndarray) -> np.ndarray:
    """(B, 4, L) one-hot -> (B, W) uint32 packed l-mers, W = L - l + 1, as gkmsvm-lite reads them."""
    from gkmsvm.kernels.direct import _pack_windows_cpu  # noqa: PLC0415

    return _pack_windows_cpu(np.ascontiguousarray(kernel.base_index_windows(x)))


def weight_table(network) -> WeightTable:
    """The `WeightTable` of a fitted gkmsvm-lite model (built once, then cached with the object)."""
    if network in _TABLES:
        return _TABLES[network]
    from gkmsvm.codec import reverse_complement  # noqa: PLC0415

    kernel = network.kernel
    support = np.asarray(network.support_sequences)
    per_sv = np.asarray(network.coefficients, np.float64) / np.sqrt(np.asarray(network._get_sv_diag(), np.float64))
    weights = np.zeros(4 ** kernel.l, dtype=np.float64)
    strands = [support, reverse_complement(support)] if kernel.include_rc else [support]
    for strand in strands:
        windows = packed_windows(kernel, strand)  # (S, W)
        weights += np.bincount(windows.ravel(), weights=np.repeat(per_sv, windows.shape[1]), minlength=len(weights))
    offsets, offset_weights = hamming_offsets(kernel.l, kernel.l - kernel._min_matches, kernel._mismatch_table)
    table = WeightTable(weights, offsets, offset_weights, network.bias)
    _TABLES[network] = table
    return table


@njit(cache=True)
def _ball_sums(windows, weights, offsets, offset_weights):  # pragma: no cover (compiled)
    out = np.empty(len(windows))
    for i in range(len(windows)):
        window = windows[i]
        total = 0.0
        for j in range(len(offsets)):
            total += offset_weights[j] * weights[window ^ offsets[j]]
        out[i] = total
    return out


def decision_values(network, x: np.ndarray) -> np.ndarray:
    """gkm-SVM decision values of (B, 4, L) one-hot `x` -> (B,) float64 (see the module docstring).

    Each distinct window is looked up once, so sequences that share most of their windows (the
    ground truth's shuffled variants of one sequence) cost little more than one.
    """
    table = weight_table(network)
    kernel = network.kernel
    windows = packed_windows(kernel, x)  # (B, W)
    distinct, where = np.unique(windows, return_inverse=True)
    ball = _ball_sums(distinct, table.weights, table.offsets, table.offset_weights)
    raw = ball[where.reshape(windows.shape)].sum(axis=1)
    self_kernel = np.asarray(kernel._raw_diagonal(x), np.float64)
    return table.bias + raw / np.sqrt(self_kernel)
