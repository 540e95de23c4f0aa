"""Export the CNNs that tests/torch_models/test_torch_models.py proves, with PyTorch's own
ONNX exporter (what users run), into this folder.

    pip install torch==2.13.0 onnxscript   # in any venv; the project's venv does not need torch
    python tests/torch_models/export.py [NAME ...]   # all models, or the named ones

The exported .onnx files are committed, so the tests need neither torch nor a network;
rerun this script after changing a model. Weights come from fixed seeds.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve().parent


class LeNet(nn.Module):
    """Two 5x5 convolutions with ReLU and 2x2 pooling, three dense layers (28x28 input)."""

    def __init__(self, pool: type[nn.Module]) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), pool(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), pool(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class ResidualCNN(nn.Module):
    """Padded and strided 3x3 convolutions with BatchNorm, a residual block, a depthwise
    convolution, a 1x1 convolution and global average pooling (3x16x16 input)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.block = nn.Sequential(
            nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8),
        )
        self.down = nn.Sequential(
            nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8), nn.ReLU(),
            nn.Conv2d(8, 16, 1), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = torch.relu(x + self.block(x))
        return self.head(self.down(x))


class Conv1dNet(nn.Module):
    """A 1-D signal model: dilated and plain 1-D convolutions, max pooling (2x64 input)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(2, 4, 3, padding=2, dilation=2), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(4, 8, 5), nn.ReLU(), nn.MaxPool1d(4),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(56, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class SmoothCNN(nn.Module):
    """Smooth activations through function tables (circuits/nonlinear.md): a strided conv
    3 -> 8 (14x14 -> 7x7) with GELU, a 1x1 conv with Tanh, a 3x3 conv with Sigmoid, global
    average pooling over the 7x7 map (divisor 49), a linear layer (3x14x14 input)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.GELU(),
            nn.Conv2d(8, 8, 1), nn.Tanh(),
            nn.Conv2d(8, 8, 3, padding=1), nn.Sigmoid(),
        )
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class SoftmaxCNN(nn.Module):
    """A classifier that ends in Softmax (circuits/nonlinear.md section 7): conv + ReLU,
    2x2 max pooling, conv + ReLU, global average pooling over 5x5 (divisor 25), a linear
    layer to 10 logits, Softmax over them (1x12x12 input)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 8, 2), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10),
                                  nn.Softmax(dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class StemCNN(nn.Module):
    """ResNet-stem-style pooling (circuits/conv.md section 5): conv + ReLU, 3x3 max
    pooling with stride 2 and padding 1 (14x14 -> 7x7: padded outputs in the 8x8 layout),
    conv + ReLU, a 3x3 average with stride 1 and padding 1 (count_include_pad: divisor 9),
    Flatten, a linear layer to 10 logits (3x14x14 input)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1),
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.AvgPool2d(3, stride=1, padding=1),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(8 * 7 * 7, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class BranchCNN(nn.Module):
    """Two convolution branches concatenated along the channels (circuits/nonlinear.md
    section 11): a 3x3 conv 3 -> 3 with ReLU and a 1x1 conv 3 -> 2 with exact GELU, which
    opset 18 spells Div/Erf/Add/Mul/Mul (an Erf table, an added constant, section 10, a
    product, section 8); torch.cat gives 5 channels; a strided 3x3 conv 5 -> 8 with ReLU,
    global average pooling, a linear layer (3x12x12 input)."""

    def __init__(self) -> None:
        super().__init__()
        self.left = nn.Sequential(nn.Conv2d(3, 3, 3, padding=1), nn.ReLU())
        self.right = nn.Sequential(nn.Conv2d(3, 2, 1), nn.GELU(approximate="none"))
        self.body = nn.Sequential(nn.Conv2d(5, 8, 3, stride=2, padding=1), nn.ReLU())
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.left(x), self.right(x)], dim=1)
        return self.head(self.body(x))


class ModernCNN(nn.Module):
    """What newer exports contain (circuits/rearrange.md, nonlinear.md section 12): a
    squeeze-and-excitation gate (global average, two linear layers, sigmoid, a (N, C, 1,
    1) gate broadcast over the map), a channel shuffle (view / transpose / reshape), a
    pre-activation BatchNorm after a residual add (nothing to fold it into), a 3x3 average
    without the padding in its count, a ceil-mode max pool, a 1x1 conv to 4 classes and a
    per-pixel Softmax over the channels, flattened (3x12x12 input)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4),
                                nn.ReLU(), nn.Linear(4, 8), nn.Sigmoid())
        self.conv = nn.Conv2d(8, 8, 3, padding=1, groups=2)
        self.bn = nn.BatchNorm2d(8)
        self.avg = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.pool = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.classes = nn.Conv2d(8, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = x * self.se(x).view(-1, 8, 1, 1)
        n, c, h, w = x.shape
        x = x.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)
        x = torch.relu(self.bn(x + self.conv(x)))
        x = self.pool(self.avg(x))
        return torch.softmax(self.classes(x), dim=1).flatten(1)


class Video3D(nn.Module):
    """A C3D-style volume model (zkml.compiler.volume): 3x3x3 convolutions with padding,
    a 2x2x2 max pool, global average pooling over the volume, a linear layer (2x6x8x8
    input: channels, frames, height, width)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv3d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
            nn.Conv3d(4, 6, 3, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(6, 5),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


#: name -> (builder, input shape, ONNX opset or None for the exporter's default). GELU is
#: one ONNX Gelu op from opset 20 on (a single table); older opsets spell it
#: Div/Erf/Add/Mul/Mul (a table, an added constant and a product).
MODELS = {
    "lenet_avg": (lambda: LeNet(nn.AvgPool2d), (1, 1, 28, 28), None),
    "lenet_max": (lambda: LeNet(nn.MaxPool2d), (1, 1, 28, 28), None),
    "residual_cnn": (ResidualCNN, (1, 3, 16, 16), None),
    "conv1d": (Conv1dNet, (1, 2, 64), None),
    "smooth_cnn": (SmoothCNN, (1, 3, 14, 14), 20),
    "softmax_cnn": (SoftmaxCNN, (1, 1, 12, 12), None),
    "stem_cnn": (StemCNN, (1, 3, 14, 14), None),
    "branch_cnn": (BranchCNN, (1, 3, 12, 12), 18),
    "modern_cnn": (ModernCNN, (1, 3, 12, 12), None),
    "video3d": (Video3D, (1, 2, 6, 8, 8), None),
}


def _randomise_batchnorm(model: nn.Module, gen: torch.Generator) -> None:
    """Non-trivial running statistics, so that BatchNorm folding is exercised."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d)):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=gen) * 0.1)


def main(names: list[str]) -> None:
    """Export the models called `names` (all of them when empty)."""
    for i, (name, (make, shape, opset)) in enumerate(MODELS.items()):
        if names and name not in names:
            continue
        torch.manual_seed(100 + i)
        model = make()
        _randomise_batchnorm(model, torch.Generator().manual_seed(200 + i))
        model.eval()
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(300 + i))
        path = HERE / f"{name}.onnx"
        extra = {} if opset is None else {"opset_version": opset}
        torch.onnx.export(model, (x,), str(path), input_names=["input"],
                          output_names=["output"], dynamo=True, external_data=False, **extra)
        print(f"wrote {path.name}")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
