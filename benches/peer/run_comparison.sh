#!/usr/bin/env bash
# peer-nh side by side: cardiotwin's CPU backend (the fused step, f32 and f64, rayon) and NVIDIA Warp's CPU
# backend (f32 and f64, benches/peer/warp_peer_nh.py) on the same meshes in one run, then a check that the
# codes compute the same motion. Prints a Markdown table; the JSON of every run stays in $OUT.
#
#   cargo build --release
#   python3 -m venv /work/venv-warp && /work/venv-warp/bin/pip install warp-lang meshio numpy
#   PYTHON=/work/venv-warp/bin/python benches/peer/run_comparison.sh
#
# Environment: CARDIOTWIN (default target/release/cardiotwin), PYTHON (default python3), OUT (default
# target/peer), REPEAT (default 3: runs of each code per mesh, interleaved; the table gives the best
# rate of each, since the machines this runs on are shared), CHECK_STEPS (default 500: steps from rest
# of the position check on arostica-lv).
#
# Both codes run in f32 (the issue) and f64. Threads: cardiotwin f32 with RAYON_NUM_THREADS=2 (the target
# of the issue) and =1 (per core), f64 with 1; Warp's CPU backend runs each launch as a serial loop on the
# calling thread (see warp_peer_nh.py), i.e. 1 thread.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${CARDIOTWIN:-target/release/cardiotwin}
PY=${PYTHON:-python3}
OUT=${OUT:-target/peer}
REPEAT=${REPEAT:-3}
CHECK_STEPS=${CHECK_STEPS:-500}
W=benches/peer/warp_peer_nh.py
mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT/warp.log"
# Warp's start-up notices (no CUDA driver, ...) go to a log; on failure, look there.
trap 'echo "failed; Warp messages in $OUT/warp.log" >&2' ERR

# name, timed steps, warm-up steps (about 3-4 M tet-steps per timed run)
MESHES=("arostica-lv 300 20" "arostica-lv-100k 40 5")

for spec in "${MESHES[@]}"; do
    read -r name steps warmup <<<"$spec"
    echo "== $name: exporting the mesh, compiling the Warp kernels" >&2
    "$B" --backend cpu bench --workload peer-nh --mesh "$name" --steps 1 --warmup 0 \
        --export "$OUT/$name.vtu" >/dev/null
    "$PY" "$W" "$OUT/$name.vtu" --steps 1 --warmup 1 >/dev/null 2>>"$OUT/warp.log"
    "$PY" "$W" "$OUT/$name.vtu" --steps 1 --warmup 1 --precision f64 >/dev/null 2>>"$OUT/warp.log"
    for r in $(seq "$REPEAT"); do
        echo "== $name: run $r of $REPEAT" >&2
        RAYON_NUM_THREADS=2 "$B" --backend cpu bench --workload peer-nh --mesh "$name" \
            --steps "$steps" --warmup "$warmup" --cpu-step fused-f32 --json >"$OUT/$name.ct2.$r.json"
        RAYON_NUM_THREADS=1 "$B" --backend cpu bench --workload peer-nh --mesh "$name" \
            --steps "$steps" --warmup "$warmup" --cpu-step fused-f32 --json >"$OUT/$name.ct1.$r.json"
        RAYON_NUM_THREADS=1 "$B" --backend cpu bench --workload peer-nh --mesh "$name" \
            --steps "$steps" --warmup "$warmup" --cpu-step fused-f64 --json >"$OUT/$name.ct64.$r.json"
        "$PY" "$W" "$OUT/$name.vtu" --steps "$steps" --warmup "$warmup" >"$OUT/$name.warp.$r.json" 2>>"$OUT/warp.log"
        "$PY" "$W" "$OUT/$name.vtu" --steps "$steps" --warmup "$warmup" --precision f64 \
            >"$OUT/$name.warp64.$r.json" 2>>"$OUT/warp.log"
    done
done

echo "== check: $CHECK_STEPS steps from rest on arostica-lv" >&2
RAYON_NUM_THREADS=2 "$B" --backend cpu bench --workload peer-nh --mesh arostica-lv --warmup 0 \
    --steps "$CHECK_STEPS" --cpu-step fused-f64 --dump-positions "$OUT/arostica-lv.ref.csv" --json >/dev/null
RAYON_NUM_THREADS=2 "$B" --backend cpu bench --workload peer-nh --mesh arostica-lv --warmup 0 \
    --steps "$CHECK_STEPS" --cpu-step fused-f32 --dump-positions "$OUT/arostica-lv.f32.csv" --json >/dev/null
"$PY" "$W" "$OUT/arostica-lv.vtu" --steps 1 --warmup 1 --reference "$OUT/arostica-lv.ref.csv" \
    --reference-steps "$CHECK_STEPS" >"$OUT/check.json" 2>>"$OUT/warp.log"

"$PY" - "$OUT" "${MESHES[@]}" <<'EOF'
import glob, json, os, platform, sys
out, specs = sys.argv[1], sys.argv[2:]
def runs(name, kind):
    return [json.load(open(p)) for p in sorted(glob.glob(f"{out}/{name}.{kind}.*.json"))]
def best(rs):
    return max(rs, key=lambda r: r["tet_steps_per_s"])
w0 = runs(specs[0].split()[0], "warp")[0]
print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs seen, "
      f"load average {os.getloadavg()[0]:.2f}; Warp {w0['warp_version']} on {w0['device_name']}")
print()
print("| mesh | tets | nodes | steps | dt (ms) | cardiotwin f32, 2 threads | cardiotwin f32, 1 thread "
      "| cardiotwin f64, 1 thread | Warp f32, 1 thread | Warp f64, 1 thread | f32 2 threads / Warp f32 "
      "| f32 1 thread / Warp f32 | f64 1 thread / Warp f64 |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for spec in specs:
    name = spec.split()[0]
    c2, c1, w = best(runs(name, "ct2")), best(runs(name, "ct1")), best(runs(name, "warp"))
    c64, w64 = best(runs(name, "ct64")), best(runs(name, "warp64"))
    assert c2["tets"] == w["tets"] and c2["nodes"] == w["nodes"], (c2, w)
    assert abs(c2["dt_ms"] - w["dt_ms"]) <= 1e-9 * c2["dt_ms"], (c2["dt_ms"], w["dt_ms"])
    m = lambda r: f"{r['tet_steps_per_s'] / 1e6:.2f} M"
    print(f"| `{name}` | {c2['tets']:,} | {c2['nodes']:,} | {c2['steps']} | {c2['dt_ms']:.3e} | {m(c2)} | {m(c1)} "
          f"| {m(c64)} | {m(w)} | {m(w64)} | {c2['tet_steps_per_s'] / w['tet_steps_per_s']:.2f} "
          f"| {c1['tet_steps_per_s'] / w['tet_steps_per_s']:.2f} "
          f"| {c64['tet_steps_per_s'] / w64['tet_steps_per_s']:.2f} |")
    spread = lambda rs: ", ".join(f"{r['tet_steps_per_s'] / 1e6:.2f}" for r in rs)
    print(f"<!-- {name} all runs (M tet-steps/s): ct2 {spread(runs(name, 'ct2'))}; "
          f"ct1 {spread(runs(name, 'ct1'))}; ct f64 {spread(runs(name, 'ct64'))}; warp f32 {spread(runs(name, 'warp'))}; "
          f"warp f64 {spread(runs(name, 'warp64'))} -->")
c = json.load(open(f"{out}/check.json"))["check"]
print()
print(f"check after {c['steps']} steps from rest on arostica-lv (max displacement {c['max_displacement_mm']:.3e} mm): "
      f"max |x_warp - x_cardiotwin| = {c['f64']['max_abs_dx_mm']:.2e} mm with Warp in f64 "
      f"(relative {c['f64']['relative']:.1e}), {c['f32']['max_abs_dx_mm']:.2e} mm in f32 "
      f"(relative {c['f32']['relative']:.1e}; f32 spacing at the largest coordinate {c['f32_position_spacing_mm']:.1e} mm)")
import numpy as np
ref = np.loadtxt(f"{out}/arostica-lv.ref.csv", delimiter=",", skiprows=1)
f32 = np.loadtxt(f"{out}/arostica-lv.f32.csv", delimiter=",", skiprows=1)
d = np.abs(f32 - ref).max()
print(f"cardiotwin f32 against its f64 after the same steps: max |dx| = {d:.2e} mm "
      f"(relative {d / c['max_displacement_mm']:.1e}; the f32 state is the displacement)")
EOF
