"""Graph cleanup after import: fold BatchNorm and bias adds into Conv/Gemm, drop dead code.

Folding happens in float before quantization, so a folded model is quantized once
(one rounding of the combined weights instead of one per op).
"""

from __future__ import annotations

import numpy as np

from zkml.onnx_import.graph import Graph, Node

__all__ = ["cleanup"]


def cleanup(graph: Graph) -> Graph:
    """Fold affine maps and constant adds into the preceding weighted op, lower what is
    left, and prune nodes no output needs."""
    graph.prune()
    _fold_affine(graph)
    _fold_bias_add(graph)
    _lower_affine(graph)
    graph.prune()
    return graph


def _single_use(graph: Graph, name: str) -> bool:
    return len(graph.consumers(name)) == 1 and not graph.is_output(name)


def _const(graph: Graph, name: str) -> np.ndarray | None:
    return graph.constants.get(name)


def _new_const(graph: Graph, hint: str, value: np.ndarray) -> str:
    # Constants may be shared by several nodes, so folding never edits one in place.
    i = 0
    while f"{hint}~{i}" in graph.constants:
        i += 1
    graph.constants[f"{hint}~{i}"] = np.asarray(value, dtype=np.float64)
    return f"{hint}~{i}"


def _replace(graph: Graph, prod: Node, node: Node, weight: np.ndarray, bias: np.ndarray) -> None:
    """Make `prod` compute `node`'s output with new weight and bias; drop `node`."""
    prod.inputs = [
        prod.inputs[0],
        _new_const(graph, prod.inputs[1], weight),
        _new_const(graph, f"{prod.output}.bias", bias),
    ]
    del graph.shapes[prod.output]
    prod.output = node.output
    graph.nodes.remove(node)


def _weighted_producer(graph: Graph, node: Node, x: str) -> Node | None:
    prod = graph.producer(x)
    if prod is None or prod.op not in ("conv", "matmul") or not _single_use(graph, x):
        return None
    if prod.op == "matmul" and prod.attrs["side"] != "right":
        return None
    return prod


def _fold_affine(graph: Graph) -> None:
    for node in [n for n in graph.nodes if n.op == "affine"]:
        prod = _weighted_producer(graph, node, node.inputs[0])
        if prod is None:
            continue
        scale, shift = _const(graph, node.inputs[1]), _const(graph, node.inputs[2])
        w = graph.constants[prod.inputs[1]]
        bias = graph.constants[prod.inputs[2]] if len(prod.inputs) > 2 else 0.0
        ndim = len(graph.shapes[prod.output])
        if prod.op == "conv" and node.attrs["axis"] == 1:
            weight = w * scale.reshape((-1,) + (1,) * (w.ndim - 1))
        elif prod.op == "matmul" and node.attrs["axis"] == ndim - 1 and ndim >= 2:
            weight = w * scale
        else:
            continue
        _replace(graph, prod, node, weight, bias * scale + shift)


def _fold_bias_add(graph: Graph) -> None:
    for node in [n for n in graph.nodes if n.op == "add"]:
        a, c = node.inputs
        sa, sc = node.attrs["signs"]
        if a in graph.constants:
            a, c, sa, sc = c, a, sc, sa
        if sa != 1 or c not in graph.constants:
            continue
        prod = _weighted_producer(graph, node, a)
        if prod is None:
            continue
        shape = graph.shapes[prod.output]
        extra = sc * graph.constants[c]
        bias = graph.constants[prod.inputs[2]] if len(prod.inputs) > 2 else np.zeros(())
        if prod.op == "conv":
            if extra.ndim > len(shape):
                continue
            full = extra.reshape((1,) * (len(shape) - extra.ndim) + extra.shape)
            if any(d != 1 for i, d in enumerate(full.shape) if i != 1):
                continue
            new_bias = bias + np.broadcast_to(full.reshape(-1), (shape[1],))
        else:
            new_bias = bias + extra
            try:
                if np.broadcast_shapes(new_bias.shape, shape) != tuple(shape):
                    continue
            except ValueError:
                continue
        _replace(graph, prod, node, graph.constants[prod.inputs[1]], new_bias)


def _lower_affine(graph: Graph) -> None:
    for node in [n for n in graph.nodes if n.op == "affine"]:
        x, scale, shift = node.inputs
        ndim = len(graph.shapes[node.output])
        shape = [1] * ndim
        shape[node.attrs["axis"]] = -1
        s = _new_const(graph, scale, graph.constants[scale].reshape(shape))
        t = _new_const(graph, shift, graph.constants[shift].reshape(shape))
        mid = f"{node.output}.scaled"
        graph.shapes[mid] = graph.shapes[node.output]
        i = graph.nodes.index(node)
        graph.nodes[i : i + 1] = [
            Node("mul", [x, s], mid, {}, node.source),
            Node("add", [mid, t], node.output, {"signs": (1, 1)}, node.source),
        ]
