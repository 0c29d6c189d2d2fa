"""A course kit in one script: a student's own instance, grading with partial credit and a
named mistake, and a backward broken on purpose (``autocnn.course``; docs/teaching.md)."""

import numpy as np

import autocnn as ac
from autocnn import course
from autocnn import functional as F
from autocnn.autograd import gradcheck

# 1. one student's instance of the batch-norm exercise: data, exact key, worked solution
v = course.variant("batchnorm", seed=2026)
print(v.statement, "\n")
print("x =\n", v.inputs["x"])
print("exact key dL/dx =\n", v.key["dx"], "\n")

# 2. a submission that forgets gamma in dL/dx, graded part by part
STUDENT = '''
import numpy as np

def _xhat(x, eps):
    return (x - x.mean(0)) / np.sqrt(x.var(0) + eps)

def bn_grad_input(x, gamma, beta, g, eps):
    n, xh = len(x), _xhat(x, eps)
    return 1 / (n * np.sqrt(x.var(0) + eps)) * (n * g - g.sum(0) - xh * (g * xh).sum(0))

def bn_grad_gamma(x, gamma, beta, g, eps):
    return (g * _xhat(x, eps)).sum(0)

def bn_grad_beta(x, gamma, beta, g, eps):
    while True:           # never returns: this part times out, the others are graded
        pass
'''
result = course.grade(STUDENT, "batchnorm", 2026, timeout=2)
print(result)
print("Gradescope tests:", [(t["name"], t["score"]) for t in course.to_gradescope(result)["tests"]])

# 3. the same mistake planted in the real layer: gradcheck fails inside the block only
rng = np.random.default_rng(0)
inputs = [ac.tensor(rng.standard_normal((4, 3)), requires_grad=True),
          ac.tensor(rng.uniform(0.5, 2.0, 3), requires_grad=True),
          ac.tensor(rng.standard_normal(3), requires_grad=True)]


def bn(x, w, b):
    return F.batch_norm(x, None, None, w, b, training=True)


with course.inject("batch_norm", "gamma_forgotten") as what:
    print("\ninjected:", what)
    try:
        gradcheck(bn, inputs)
    except Exception as report:
        print(str(report).splitlines()[0])
print("after the block, gradcheck passes again:", gradcheck(bn, inputs))
