"""Reference limit cycle of the Regazzoni et al. 2022 closed-loop circulation, CIRCULATION.md parameters.

Runs the right-hand side of the PyPI package `circulation` (module `regazzoni2020`, version in SOURCE.md),
unchanged, through SciPy's DOP853 at tight tolerances, beat by beat, until the chamber volumes at the start
of a beat (LV end-diastole: the LV contracts at t = 0) change by less than 1e-7 mL from one beat to the next.
The last beat is sampled on a uniform grid of 1000 intervals; extrema are taken on those samples (the Rust
side samples the same grid). Writes reference.json next to this script.

    python -m venv venv && venv/bin/pip install circulation==0.4.0 scipy
    venv/bin/python tests/data/circulation/reference.py
"""

import json
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

import circulation
from circulation.regazzoni2020 import Regazzoni2020

HR = 1.0  # Hz
CHAMBERS = {  # EA mmHg/mL, EB mmHg/mL, TC s, TR s, tC s, V0 mL
    "LV": (2.75, 0.08, 0.34, 0.17, 0.0, 5.0),
    "RV": (0.55, 0.05, 0.34, 0.17, 0.0, 10.0),
    "LA": (0.07, 0.09, 0.17, 0.17, 0.80, 4.0),
    "RA": (0.06, 0.07, 0.17, 0.17, 0.80, 4.0),
}
CIRCUITS = {  # R_AR, C_AR, R_VEN, C_VEN, L_AR, L_VEN
    "SYS": (0.8, 1.2, 0.26, 130.0, 5e-3, 5e-4),
    "PUL": (0.1625, 10.0, 0.1625, 16.0, 5e-4, 5e-4),
}
INITIAL = {
    "V_LA": 65.0, "V_LV": 120.0, "V_RA": 65.0, "V_RV": 145.0,
    "p_AR_SYS": 80.0, "p_VEN_SYS": 30.0, "p_AR_PUL": 35.0, "p_VEN_PUL": 24.0,
    "Q_AR_SYS": 0.0, "Q_VEN_SYS": 0.0, "Q_AR_PUL": 0.0, "Q_VEN_PUL": 0.0,
}
RTOL = ATOL = 1e-11
CONVERGED_ML = 1e-7
SAMPLES = 1000


def parameters():
    p = {"HR": HR, "chambers": {}, "valves": {}, "circulation": {}}
    for name, (ea, eb, tc_dur, tr_dur, tc, v0) in CHAMBERS.items():
        p["chambers"][name] = {"EA": ea, "EB": eb, "TC": tc_dur, "TR": tr_dur, "tC": tc, "V0": v0}
    for valve in ("MV", "AV", "TV", "PV"):
        p["valves"][valve] = {"Rmin": 0.0075, "Rmax": 75006.2}
    for side, (rar, car, rven, cven, lar, lven) in CIRCUITS.items():
        p["circulation"][side] = {
            "R_AR": rar, "C_AR": car, "R_VEN": rven, "C_VEN": cven, "L_AR": lar, "L_VEN": lven,
        }
    return p


def main():
    out = Path(tempfile.mkdtemp())
    model = Regazzoni2020(parameters=parameters(), outdir=out, initial_state=INITIAL)
    names = model.states_names
    y = np.array([INITIAL[n] for n in names], dtype=float)
    rhs = lambda t, s: model.rhs(t, s).copy()  # the package reuses its output array
    period = 1.0 / HR
    start = time.time()
    history = []  # max |dV_chamber| between consecutive beat starts, mL
    beat = 0
    while True:
        sol = solve_ivp(rhs, (beat * period, (beat + 1) * period), y, method="DOP853", rtol=RTOL, atol=ATOL)
        assert sol.success, sol.message
        y_next = sol.y[:, -1]
        change = float(np.max(np.abs(y_next[:4] - y[:4])))
        history.append(change)
        beat += 1
        y_start = y
        y = y_next
        if change < CONVERGED_ML or beat >= 3000:
            break
    # Sample the last beat again (from its start state), densely.
    t0 = (beat - 1) * period
    t_eval = t0 + np.linspace(0.0, period, SAMPLES + 1)
    sol = solve_ivp(rhs, (t0, t0 + period), y_start, method="DOP853", rtol=RTOL, atol=ATOL,
                    t_eval=t_eval)
    wall = time.time() - start
    Y = sol.y
    var = np.array([model.update_static_variables(t, Y[:, i]).copy() for i, t in enumerate(sol.t)]).T
    v_lv, v_rv = Y[1], Y[3]
    p_lv, p_rv = var[1], var[3]
    p_ar_sys, p_ar_pul = Y[4], Y[6]
    lv_edv, lv_esv = float(v_lv.max()), float(v_lv.min())
    rv_edv, rv_esv = float(v_rv.max()), float(v_rv.min())
    total = lambda s: (s[0] + s[1] + s[2] + s[3] + 1.2 * s[4] + 130.0 * s[5] + 10.0 * s[6] + 16.0 * s[7])
    summary = {
        "lv_edv_ml": lv_edv,
        "lv_esv_ml": lv_esv,
        "lv_sv_ml": lv_edv - lv_esv,
        "lv_ef": (lv_edv - lv_esv) / lv_edv,
        "lv_peak_pressure_mmhg": float(p_lv.max()),
        "aortic_systolic_mmhg": float(p_ar_sys.max()),
        "aortic_diastolic_mmhg": float(p_ar_sys.min()),
        "cardiac_output_l_min": (lv_edv - lv_esv) * HR * 60.0 / 1000.0,
        "rv_edv_ml": rv_edv,
        "rv_esv_ml": rv_esv,
        "rv_sv_ml": rv_edv - rv_esv,
        "rv_ef": (rv_edv - rv_esv) / rv_edv,
        "rv_peak_pressure_mmhg": float(p_rv.max()),
        "pulmonary_systolic_mmhg": float(p_ar_pul.max()),
        "pulmonary_diastolic_mmhg": float(p_ar_pul.min()),
    }
    result = {
        "source": f"circulation {circulation.__version__ if hasattr(circulation, '__version__') else '0.4.0'}"
        " (regazzoni2020.Regazzoni2020.rhs), scipy DOP853",
        "rtol": RTOL,
        "atol": ATOL,
        "beats": beat,
        "converged_ml": CONVERGED_ML,
        "beat_to_beat_change_ml": history,
        "end_diastolic_state": {n: float(v) for n, v in zip(names, y_start)},
        "total_volume_ml_initial": float(total(np.array([INITIAL[n] for n in names]))),
        "total_volume_ml_final": float(total(y_start)),
        "summary": summary,
        "wall_s": wall,
    }
    path = Path(__file__).with_name("reference.json")
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summary, indent=2), "beats", beat, "wall", wall)


if __name__ == "__main__":
    main()
