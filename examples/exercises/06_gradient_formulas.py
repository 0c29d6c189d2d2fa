"""Exercise 6 (solution): gradient formulas typed as strings, proved by the checker.

Each answer is a SymPy formula in the input entries x_0, x_1, …; ``check_formula`` proves it
equal to the engine's exact gradient or gives a counterexample point.
"""

from autocnn.symbolic import check_formula

answers = [
    # d mean(x) / d x_0 for 4 values
    ("1/4", lambda x: x.mean(), (4,), "x_0"),
    # d var(x) / d x_0 for 3 values (biased variance)
    ("2*(x_0 - (x_0 + x_1 + x_2)/3)/3", lambda x: x.var(), (3,), "x_0"),
    # d sigmoid(x_0) / d x_0
    ("exp(-x_0)/(1 + exp(-x_0))**2", lambda x: x.sigmoid().sum(), (1,), "x_0"),
    # d softmax(x)_0 / d x_1 = −p_0 p_1
    ("-exp(x_0)*exp(x_1)/(exp(x_0) + exp(x_1))**2", lambda x: x.softmax()[0], (2,), "x_1"),
    # d tanh(x_0)^2 / d x_0
    ("2*tanh(x_0)*(1 - tanh(x_0)**2)", lambda x: (x.tanh() * x.tanh()).sum(), (1,), "x_0"),
]
for formula, fn, shape, wrt in answers:
    report = check_formula(formula, fn, shape, wrt=wrt)
    print(report, "\n")
    assert report
