"""Batch normalisation derived: the lesson's steps, staged and compact backward, test time.

One channel with N values x_0 … x_{N−1} (the gradient of every channel has this form, with
N the number of values per channel: batch × height × width):

    μ = (1/N) Σ x_i      σ² = (1/N) Σ (x_i − μ)²      x̂_i = (x_i − μ)/sqrt(σ² + ε)
    y_i = γ x̂_i + β

Backward, with g_i = ∂L/∂y_i, staged along the graph (dx̂ → dσ² → dμ → dx) and compact:

    ∂L/∂x_i = γ/(N sqrt(σ² + ε)) · (N g_i − Σ_j g_j − x̂_i Σ_j g_j x̂_j)

At test time μ and σ² are fixed running statistics, so batch norm is an affine map that can
be folded into the preceding convolution (see ``fold.py`` for the numeric helper).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from autocnn import functional as F
from autocnn.autograd.tensor import Tensor
from autocnn.symbolic.derivation import Derivation, Formula, Identity
from autocnn.symbolic.tensors import check_size, symbol_array


def _bn_forward(x: Tensor, gamma: Tensor, beta: Tensor, eps: Any) -> Tensor:
    """The library's own ``F.batch_norm`` (training mode) on one channel of N values."""
    n = x.shape[0]
    y = F.batch_norm(x.reshape(n, 1), None, None, gamma.reshape(1), beta.reshape(1),
                     training=True, eps=eps)
    return y.reshape(n)


class BatchNormDerivation(Derivation):
    """Batch norm of one channel of N values (see the module docstring).

    Extra attributes: ``staged`` (the dx̂ → dσ² → dμ → dx chain, name → expression/array),
    ``x``, ``g`` (symbols of inputs and upstream gradients), ``gamma``, ``beta``, ``eps``.
    """

    title = "Batch normalisation (training mode)"

    def __init__(self, N: int = 3, eps: Any = None) -> None:
        super().__init__()
        if not isinstance(N, int) or N < 2:
            raise ValueError(f"derive_batchnorm: N must be an int ≥ 2 (values per channel), "
                             f"got {N!r}")
        check_size([(N,), (N,)], "derive_batchnorm", limit=64)
        self.N = N
        self.eps = sympy.Symbol("epsilon", positive=True) if eps is None else sympy.sympify(eps)
        self.x = symbol_array("x", (N,))
        self.g = symbol_array("g", (N,))
        self.gamma, self.beta = sympy.symbols("gamma beta", real=True)
        mu, var = sympy.Symbol("mu", real=True), sympy.Symbol("sigma^2", nonnegative=True)
        x_hat = symbol_array("xhat", (N,))
        self.mu, self.var, self.x_hat = mu, var, x_hat
        x, g, gamma, beta, eps, n = self.x, self.g, self.gamma, self.beta, self.eps, N

        # definitions of the step symbols, in terms of the inputs
        mean_def = sympy.Add(*x) / n
        var_def = sympy.Add(*[(xi - mu) ** 2 for xi in x]) / n
        self.subs = {mu: mean_def, var: var_def}
        for i in range(n):
            self.subs[x_hat[i]] = (x[i] - mu) / sympy.sqrt(var + eps)
        inv_std = 1 / sympy.sqrt(var + eps)

        self.summary = (
            "Normalise each channel with its batch mean and variance, then scale by γ and "
            "shift by β. The same gradient holds per channel, with N = batch × height × "
            "width values; g_i = ∂L/∂y_i is the upstream gradient."
        )
        self.instance = f"one channel, N = {n} values x_0 … x_{n - 1}, ε kept as a symbol."
        self.forward = [
            Formula("mean", "μ = (1/N) Σ_i x_i", r"\mu = \frac{1}{N}\sum_i x_i"),
            Formula("variance", "σ² = (1/N) Σ_i (x_i − μ)²",
                    r"\sigma^2 = \frac{1}{N}\sum_i (x_i - \mu)^2"),
            Formula("normalise", "x̂_i = (x_i − μ) / sqrt(σ² + ε)",
                    r"\hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}"),
            Formula("scale and shift", "y_i = γ x̂_i + β", r"y_i = \gamma \hat x_i + \beta"),
        ]
        self.steps["mean"] = mean_def
        self.steps["variance"] = var_def.xreplace({mu: mean_def})
        self.steps["x_hat"] = np.array(
            [self.expand_steps(x_hat[i]) for i in range(n)], dtype=object)
        self.steps["y"] = np.array(
            [gamma * self.steps["x_hat"][i] + beta for i in range(n)], dtype=object)

        sum_g = sympy.Add(*g)
        sum_gx = sympy.Add(*[g[i] * x_hat[i] for i in range(n)])
        self.gradient_formulas = [
            Formula("beta", "∂L/∂β = Σ_i g_i", r"\frac{\partial L}{\partial \beta} = \sum_i g_i"),
            Formula("gamma", "∂L/∂γ = Σ_i g_i x̂_i",
                    r"\frac{\partial L}{\partial \gamma} = \sum_i g_i \hat x_i"),
            Formula("x (compact)",
                    "∂L/∂x_i = γ / (N sqrt(σ² + ε)) · (N g_i − Σ_j g_j − x̂_i Σ_j g_j x̂_j)",
                    r"\frac{\partial L}{\partial x_i} = \frac{\gamma}{N\sqrt{\sigma^2+\epsilon}}"
                    r"\Big(N g_i - \sum_j g_j - \hat x_i \sum_j g_j \hat x_j\Big)"),
        ]
        self.grads["x"] = np.array(
            [gamma * inv_std / n * (n * g[i] - sum_g - x_hat[i] * sum_gx) for i in range(n)],
            dtype=object)
        self.grads["gamma"] = sum_gx
        self.grads["beta"] = sum_g

        # the staged chain, each stage a closed form in the previous ones
        dx_hat = np.array([g[i] * gamma for i in range(n)], dtype=object)
        dvar = sympy.Add(*[dx_hat[i] * (x[i] - mu) for i in range(n)]) * (
            -sympy.Rational(1, 2)) * (var + eps) ** sympy.Rational(-3, 2)
        dmu = (sympy.Add(*[-dx_hat[i] * inv_std for i in range(n)])
               + dvar * sympy.Add(*[-2 * (x[i] - mu) for i in range(n)]) / n)
        dx = np.array([dx_hat[i] * inv_std + dvar * 2 * (x[i] - mu) / n + dmu / n
                       for i in range(n)], dtype=object)
        self.staged = {"dx_hat": dx_hat, "dvar": dvar, "dmu": dmu, "dx": dx}
        self.sections.append(("Staged backward (along the graph)", [
            Formula("dx̂", "∂L/∂x̂_i = g_i γ", r"\frac{\partial L}{\partial \hat x_i} = g_i\gamma"),
            Formula("dσ²", "∂L/∂σ² = Σ_i ∂L/∂x̂_i (x_i − μ) · (−1/2)(σ² + ε)^(−3/2)",
                    r"\frac{\partial L}{\partial \sigma^2} = \sum_i \frac{\partial L}"
                    r"{\partial \hat x_i}(x_i-\mu)\cdot\left(-\tfrac12\right)"
                    r"(\sigma^2+\epsilon)^{-3/2}"),
            Formula("dμ", "∂L/∂μ = Σ_i ∂L/∂x̂_i · (−1/sqrt(σ² + ε)) + ∂L/∂σ² · "
                    "(1/N) Σ_i −2(x_i − μ)",
                    r"\frac{\partial L}{\partial \mu} = \sum_i \frac{\partial L}{\partial \hat x_i}"
                    r"\frac{-1}{\sqrt{\sigma^2+\epsilon}} + \frac{\partial L}{\partial \sigma^2}"
                    r"\frac{1}{N}\sum_i -2(x_i-\mu)"),
            Formula("dx", "∂L/∂x_i = ∂L/∂x̂_i / sqrt(σ² + ε) + ∂L/∂σ² · 2(x_i − μ)/N + "
                    "∂L/∂μ / N",
                    r"\frac{\partial L}{\partial x_i} = \frac{\partial L/\partial \hat x_i}"
                    r"{\sqrt{\sigma^2+\epsilon}} + \frac{\partial L}{\partial \sigma^2}"
                    r"\frac{2(x_i-\mu)}{N} + \frac{1}{N}\frac{\partial L}{\partial \mu}"),
        ]))
        self.identities.append(Identity("staged backward (dx̂ → dσ² → dμ → dx) = compact form",
                                        dx, self.grads["x"]))

        # test time: fixed statistics make batch norm an affine map, foldable into a conv
        mu_pop = sympy.Symbol("mu_pop", real=True)
        var_pop = sympy.Symbol("sigma_pop^2", nonnegative=True)
        w, b, xin = sympy.symbols("w b x_in", real=True)
        scale = gamma / sympy.sqrt(var_pop + eps)
        conv_then_bn = gamma * ((w * xin + b) - mu_pop) / sympy.sqrt(var_pop + eps) + beta
        folded = (w * scale) * xin + ((b - mu_pop) * scale + beta)
        xi = sympy.Symbol("x", real=True)
        self.identities.append(Identity(
            "test-time batch norm = affine map γ/sqrt(σ²_pop+ε)·x + (β − γ μ_pop/sqrt(σ²_pop+ε))",
            gamma * (xi - mu_pop) / sympy.sqrt(var_pop + eps) + beta,
            scale * xi + (beta - gamma * mu_pop / sympy.sqrt(var_pop + eps))))
        self.identities.append(Identity(
            "conv (w, b) then test-time batch norm = one conv with folded w', b'",
            conv_then_bn, folded))
        self.sections.append(("Test time: a fixed affine map, folded into the convolution", [
            Formula("affine map", "y = γ/sqrt(σ²_pop + ε) · x + (β − γ μ_pop / sqrt(σ²_pop + ε))",
                    r"y = \frac{\gamma}{\sqrt{\sigma^2_{pop}+\epsilon}}\,x + \Big(\beta - "
                    r"\frac{\gamma\,\mu_{pop}}{\sqrt{\sigma^2_{pop}+\epsilon}}\Big)"),
            Formula("folded weight", "w' = w · γ / sqrt(σ²_pop + ε)   (per output channel)",
                    r"w' = w\,\frac{\gamma}{\sqrt{\sigma^2_{pop}+\epsilon}}"),
            Formula("folded bias", "b' = (b − μ_pop) · γ / sqrt(σ²_pop + ε) + β",
                    r"b' = (b - \mu_{pop})\frac{\gamma}{\sqrt{\sigma^2_{pop}+\epsilon}} + \beta"),
        ]))
        self.notes = [
            "σ² is the biased variance (divide by N) in the forward pass, as in the lesson "
            "and PyTorch; the running variance kept for test time is the unbiased one.",
            "autocnn.symbolic.fold_batchnorm(conv, bn) applies the folding to an eval-mode "
            "BatchNorm2d and its Conv2d.",
        ]

    def _symbolic_inputs(self) -> tuple[Tensor, Tensor, Tensor]:
        return (Tensor(self.x.copy(), requires_grad=True),
                Tensor(np.array(self.gamma, dtype=object), requires_grad=True),
                Tensor(np.array(self.beta, dtype=object), requires_grad=True))

    def engine_grads(self) -> dict[str, np.ndarray]:
        """The engine's backward of the composed batch norm, with upstream g."""
        x, gamma, beta = self._symbolic_inputs()
        y = _bn_forward(x, gamma, beta, self.eps)
        y.backward(Tensor(self.g.copy()))
        return {"x": x.grad.data, "gamma": gamma.grad.data, "beta": beta.grad.data}

    def reference_grads(self) -> dict[str, np.ndarray]:
        """sympy.diff of L = Σ g_i y_i."""
        loss = sympy.Add(*[gi * yi for gi, yi in zip(self.g, self.steps["y"])])
        return {"x": np.array([sympy.diff(loss, xi) for xi in self.x], dtype=object),
                "gamma": sympy.diff(loss, self.gamma), "beta": sympy.diff(loss, self.beta)}

    def side_by_side(self) -> str:
        """The staged and the compact ∂L/∂x_i, printed side by side for each i."""
        rows = []
        for i in range(self.N):
            rows.append(f"dL/dx_{i}:\n  staged : {sympy.sstr(self.staged['dx'][i])}\n"
                        f"  compact: {sympy.sstr(self.grads['x'][i])}")
        return "\n".join(rows)


def derive_batchnorm(N: int = 3, eps: Any = None) -> BatchNormDerivation:
    """The batch-norm derivation for one channel of ``N`` values (ε symbolic by default)."""
    return BatchNormDerivation(N=N, eps=eps)
