"""Reference single-cell action potentials of the ten Tusscher-Panfilov 2006 model (epicardial,
endocardial and mid-myocardial cells), from an independent implementation: the gotran-generated models
shipped in the PyPI package fenics-beat 0.1.1 (modules beat.cellmodels.tentusscher_panfilov_2006.epi,
.endo, .mid; MIT licence), integrated with their own generalised Rush-Larsen scheme. Writes
reference.csv (epi), reference_endo.csv, reference_mid.csv (t_ms, V_mV) every 0.5 ms.

    pip install fenics-beat==0.1.1 --no-deps numpy   # the cell modules need numpy only
    python reference.py [DIR]   # DIR holds beat/cellmodels/tentusscher_panfilov_2006/{epi,endo,mid}.py

Stimulus: the model's own, -52 pA/pF for 1 ms from t = 10 ms; dt = 0.005 ms; 600 ms.
"""
import importlib.util
import sys

import numpy as np

if not hasattr(np, "float_"):  # the generated module predates NumPy 2
    np.float_ = np.float64

folder = sys.argv[1] if len(sys.argv) > 1 else "."


def run(cell, out_name):
    path = f"{folder}/beat/cellmodels/tentusscher_panfilov_2006/{cell}.py"
    spec = importlib.util.spec_from_file_location(cell, path)
    model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(model)
    y = model.init_state_values()
    p = model.init_parameter_values()
    iv = model.state_indices("V")
    dt, t, out = 0.005, 0.0, []
    steps = int(round(600.0 / dt))
    for k in range(steps + 1):
        if k % 100 == 0:
            out.append((t, y[iv]))
        if k == steps:
            break
        y = model.forward_generalized_rush_larsen(y, t, dt, p)
        t = (k + 1) * dt
    with open(out_name, "w") as f:
        f.write("t_ms,v_mv\n")
        for t, v in out:
            f.write(f"{t:.3f},{v:.6f}\n")
    print("wrote", out_name, len(out), "samples; peak", max(v for _, v in out))


for cell, name in [("epi", "reference.csv"), ("endo", "reference_endo.csv"), ("mid", "reference_mid.csv")]:
    run(cell, name)
