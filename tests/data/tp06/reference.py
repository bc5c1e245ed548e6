"""Reference single-cell action potential of the ten Tusscher-Panfilov 2006 epicardial model, from an
independent implementation: the gotran-generated model shipped in the PyPI package fenics-beat 0.1.1
(module beat.cellmodels.tentusscher_panfilov_2006.epi, MIT licence), integrated with its own
generalised Rush-Larsen scheme. Writes reference.csv (t_ms, V_mV) every 0.5 ms.

    pip install fenics-beat==0.1.1 --no-deps numpy   # the cell module needs numpy only
    python reference.py   # run from a folder where `beat/cellmodels/...` is importable

Stimulus: the model's own, -52 pA/pF for 1 ms from t = 10 ms; dt = 0.005 ms; 600 ms.
"""
import importlib.util
import sys

import numpy as np

if not hasattr(np, "float_"):  # the generated module predates NumPy 2
    np.float_ = np.float64

path = sys.argv[1] if len(sys.argv) > 1 else "beat/cellmodels/tentusscher_panfilov_2006/epi.py"
spec = importlib.util.spec_from_file_location("epi", path)
epi = importlib.util.module_from_spec(spec)
spec.loader.exec_module(epi)

y = epi.init_state_values()
p = epi.init_parameter_values()
iv = epi.state_indices("V")
dt, t, out = 0.005, 0.0, []
steps = int(round(600.0 / dt))
for k in range(steps + 1):
    if k % 100 == 0:
        out.append((t, y[iv]))
    if k == steps:
        break
    y = epi.forward_generalized_rush_larsen(y, t, dt, p)
    t = (k + 1) * dt
with open("reference.csv", "w") as f:
    f.write("t_ms,v_mv\n")
    for t, v in out:
        f.write(f"{t:.3f},{v:.6f}\n")
print("wrote reference.csv:", len(out), "samples; peak", max(v for _, v in out))
