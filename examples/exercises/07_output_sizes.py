"""Exercise 7 (solution): output sizes and parameter counts by hand, checked by formulas.

⌊(H + 2P − D(K − 1) − 1)/S⌋ + 1 per conv or pool layer; C_out·C_in·K_h·K_w + C_out
parameters per conv layer, F_out·F_in + F_out per linear layer.
"""

from autocnn import nn, symbolic

model = nn.Sequential(
    nn.Conv2d(3, 16, 5, stride=2, padding=2),   # 64 → ⌊(64 + 4 − 4 − 1)/2⌋ + 1 = 32
    nn.ReLU(),
    nn.MaxPool2d(2),                             # 32 → 16
    nn.Conv2d(16, 32, 3, padding=1),             # 16 → 16
    nn.Flatten(),
    nn.Linear(32 * 16 * 16, 10),
)
my_shapes = [(1, 16, 32, 32), (1, 16, 32, 32), (1, 16, 16, 16), (1, 32, 16, 16), (1, 8192),
             (1, 10)]
my_params = [16 * 3 * 5 * 5 + 16, 0, 0, 32 * 16 * 3 * 3 + 32, 0, 10 * 8192 + 10]

table = symbolic.shape_table(model, (1, 3, 64, 64))
print(table)
assert [r.out_shape for r in table.rows] == my_shapes
assert [r.params for r in table.rows] == my_params
print("\nall hand-computed shapes and parameter counts agree")
print("\n" + symbolic.dense_vs_conv(256, 256, 3, units=1000, filters=16, kernel_size=5))
