#!/usr/bin/env python3
"""The peer-nh workload of `cardiotwin bench --workload peer-nh`, written for NVIDIA Warp's CPU backend.

What it computes
----------------
The comparison workload of `src/bench.rs` (module docs), on a linear-tetrahedron mesh read from a VTU
file (units mm, mg, ms; kPa, mN):

- compressible neo-Hookean psi = mu/2 (I1 - 3) - mu ln J + lambda/2 (ln J)^2, E = 10 kPa, nu = 0.45,
  per-element volumetric term; first Piola-Kirchhoff stress P = mu (F - F^-T) + lambda ln J F^-T;
- density 1 mg/mm^3, lumped nodal mass rho sum V0 / 4, gravity (0, 0, -9.81e-3) mm/ms^2 on that mass;
- mass-proportional damping alpha = 1/ms, central differences
  x_{n+1} = x_n + (x_n - x_{n-1}) (1 - alpha dt/2)/(1 + alpha dt/2) + dt^2 (f/m + g)/(1 + alpha dt/2);
- every node with z > max_z - 0.1 mm fixed at its rest position;
- dt = 0.4 min over tets of (3 V / largest face area) / sqrt((lambda + 2 mu) / rho);
- from rest (x_prev = x = rest positions).

The rest geometry (Dm^-1, V0, masses, dt) is precomputed with numpy in f64 and cast to f32, as
cardiotwin precomputes it in f64. Stepping is f32 on Warp device "cpu", three operations per step:

1. `forces.zero_()`;
2. `tet_forces`, one thread per tetrahedron: F = Ds Dm^-1, P(F), H = -V0 P Dm^-T, and the four corner
   forces accumulated into the node force array with `wp.atomic_add` (the usual Warp idiom, as in
   `warp.sim`'s FEM kernels; cardiotwin gathers through a node -> (tet, corner) CSR instead, no atomics);
3. `advance`, one thread per node: the damped central-difference update, fixed nodes held at rest.

The launches are recorded once with `wp.launch(..., record_cmd=True)` (Warp's way to cut Python launch
overhead; two sets, for the two parities of the position buffer swap) and replayed each step.

Threads: Warp 1.19's CPU backend runs a kernel launch as a serial loop over the threads on the calling
thread (`cpu_module_template_forward` in `warp/_src/codegen.py`: `for (task_index = 0; task_index <
dim->size; ++task_index)`); there is no multi-threaded CPU launch, so these figures are one core.

What is timed: `--warmup` steps first (the first launch compiles the module with Warp's bundled
Clang/LLVM, cached under ~/.cache/warp afterwards), then `--steps` steps between two
`wp.synchronize_device("cpu")` calls, with `time.perf_counter`.

Install and run
---------------
    python3 -m venv /work/venv-warp && /work/venv-warp/bin/pip install warp-lang meshio numpy
    target/release/cardiotwin bench --workload peer-nh --mesh arostica-lv --steps 1 --export lv.vtu
    /work/venv-warp/bin/python benches/peer/warp_peer_nh.py lv.vtu --steps 200 --warmup 10

prints one JSON object: tets, nodes, steps, warmup_steps, dt_ms, seconds, tet_steps_per_s, warp_version,
device, threads, precision, node_accumulation.

Checking it computes the same thing
-----------------------------------
    target/release/cardiotwin --backend cpu bench --workload peer-nh --mesh arostica-lv \
        --warmup 0 --steps 500 --dump-positions ref.csv
    python benches/peer/warp_peer_nh.py lv.vtu --reference ref.csv --reference-steps 500

steps a fresh copy K = --reference-steps steps from rest and adds to the JSON "check": max over nodes of
|x_warp - x_cardiotwin|, the largest displacement |x_cardiotwin - X|, and their ratio. cardiotwin's CPU
path is f64; Warp stores positions in f32, whose spacing near 100 mm is 7.6e-6 mm, so the ratio is
bounded below by the position rounding accumulated over K steps, not by the element arithmetic.

`benches/peer/run_comparison.sh` runs both codes on the same meshes and prints a table.
"""

import argparse
import json
import sys
import time

import meshio
import numpy as np
import warp as wp

E, NU, RHO = 10.0, 0.45, 1.0
MU = E / (2.0 * (1.0 + NU))
LAMBDA = E * NU / ((1.0 + NU) * (1.0 - 2.0 * NU))
GRAVITY = (0.0, 0.0, -9.81e-3)
DAMPING = 1.0


def make_kernels(scalar):
    """The two kernels for the float type `scalar` (wp.float32 for the timed runs; wp.float64 for the check
    that the kernels compute what cardiotwin computes, free of f32 position rounding)."""
    vec3 = wp.types.vector(3, scalar)
    mat33 = wp.types.matrix((3, 3), scalar)

    @wp.kernel(module="unique")
    def tet_forces(
        x: wp.array(dtype=vec3),
        tets: wp.array(dtype=wp.vec4i),
        dm_inv: wp.array(dtype=mat33),
        volume0: wp.array(dtype=scalar),
        mu: scalar,
        lam: scalar,
        forces: wp.array(dtype=vec3),
    ):
        t = wp.tid()
        tet = tets[t]
        x0 = x[tet[0]]
        ds = wp.matrix_from_cols(x[tet[1]] - x0, x[tet[2]] - x0, x[tet[3]] - x0)
        b = dm_inv[t]
        f = ds * b
        j = wp.determinant(f)
        f_inv_t = wp.transpose(wp.inverse(f))
        p = mu * (f - f_inv_t) + (lam * wp.log(j)) * f_inv_t
        h = (-volume0[t]) * (p * wp.transpose(b))
        f1 = vec3(h[0, 0], h[1, 0], h[2, 0])
        f2 = vec3(h[0, 1], h[1, 1], h[2, 1])
        f3 = vec3(h[0, 2], h[1, 2], h[2, 2])
        wp.atomic_add(forces, tet[0], -(f1 + f2 + f3))
        wp.atomic_add(forces, tet[1], f1)
        wp.atomic_add(forces, tet[2], f2)
        wp.atomic_add(forces, tet[3], f3)

    @wp.kernel(module="unique")
    def advance(
        x: wp.array(dtype=vec3),
        x_prev_next: wp.array(dtype=vec3),
        forces: wp.array(dtype=vec3),
        inv_mass: wp.array(dtype=scalar),
        fixed: wp.array(dtype=wp.int32),
        rest: wp.array(dtype=vec3),
        gravity: vec3,
        a: scalar,
        b: scalar,
    ):
        # x_prev_next holds x_{n-1} on entry and x_{n+1} on exit (each thread touches only its node).
        n = wp.tid()
        if fixed[n] != 0:
            x_prev_next[n] = rest[n]
            return
        xn = x[n]
        x_prev_next[n] = xn + (xn - x_prev_next[n]) * a + (forces[n] * inv_mass[n] + gravity) * b

    return vec3, mat33, tet_forces, advance


def load(path):
    """Rest positions (f64, mm) and tetrahedra (int32) of a VTU (or any meshio format)."""
    m = meshio.read(path)
    tets = np.concatenate([c.data for c in m.cells if c.type == "tetra"]).astype(np.int32)
    points = np.asarray(m.points, dtype=np.float64)
    used = np.zeros(len(points), bool)
    used[tets.ravel()] = True
    if not used.all():
        sys.exit(f"{path}: {np.count_nonzero(~used)} nodes are used by no tetrahedron; drop them first")
    return points, tets


class PeerNh:
    """The problem on one mesh: rest geometry in f64 (numpy), state and kernels in f32 (Warp)."""

    def __init__(self, points, tets, device="cpu", precision="f32"):
        self.device = device
        self.scalar = wp.float32 if precision == "f32" else wp.float64
        self.np_type = np.float32 if precision == "f32" else np.float64
        self.vec3, self.mat33, self.tet_forces, self.advance = make_kernels(self.scalar)
        self.tets_np = tets
        self.rest_np = points
        p = points[tets]  # (T, 4, 3)
        dm = np.stack([p[:, 1] - p[:, 0], p[:, 2] - p[:, 0], p[:, 3] - p[:, 0]], axis=2)  # columns
        vol = np.linalg.det(dm) / 6.0
        if (vol <= 0).any():
            sys.exit(f"{np.count_nonzero(vol <= 0)} tetrahedra with non-positive volume")
        dm_inv = np.linalg.inv(dm)

        def area(a, b, c):
            return 0.5 * np.linalg.norm(np.cross(p[:, b] - p[:, a], p[:, c] - p[:, a]), axis=1)

        largest = np.max([area(1, 2, 3), area(0, 2, 3), area(0, 1, 3), area(0, 1, 2)], axis=0)
        self.dt = 0.4 * np.min(3.0 * vol / largest) / np.sqrt((LAMBDA + 2.0 * MU) / RHO)
        node_vol = np.zeros(len(points))
        np.add.at(node_vol, tets.ravel(), np.repeat(vol, 4))
        mass = RHO * node_vol / 4.0
        fixed = (points[:, 2] > points[:, 2].max() - 0.1).astype(np.int32)
        self.fixed_count = int(fixed.sum())

        ft, sc, v3 = self.np_type, self.scalar, self.vec3
        self.tets = wp.array(tets, dtype=wp.vec4i, device=device)
        self.dm_inv = wp.array(dm_inv.astype(ft), dtype=self.mat33, device=device)
        self.volume0 = wp.array(vol.astype(ft), dtype=sc, device=device)
        self.inv_mass = wp.array((1.0 / mass).astype(ft), dtype=sc, device=device)
        self.fixed = wp.array(fixed, dtype=wp.int32, device=device)
        self.rest = wp.array(points.astype(ft), dtype=v3, device=device)
        self.forces = wp.zeros(len(points), dtype=v3, device=device)
        self.reset()

    def reset(self):
        """At rest; records the launches of both buffer parities."""
        x0 = self.rest_np.astype(self.np_type)
        self.buf = [
            wp.array(x0, dtype=self.vec3, device=self.device),
            wp.array(x0, dtype=self.vec3, device=self.device),
        ]
        self.parity = 0  # buf[parity] is x_n, buf[1 - parity] is x_{n-1}
        dt, alpha = self.dt, DAMPING
        a = (1.0 - 0.5 * alpha * dt) / (1.0 + 0.5 * alpha * dt)
        b = dt * dt / (1.0 + 0.5 * alpha * dt)
        self.cmds = []
        for k in range(2):
            x, xp = self.buf[k], self.buf[1 - k]
            self.cmds.append(
                (
                    wp.launch(
                        self.tet_forces,
                        dim=len(self.tets_np),
                        inputs=[
                            x,
                            self.tets,
                            self.dm_inv,
                            self.volume0,
                            self.scalar(MU),
                            self.scalar(LAMBDA),
                            self.forces,
                        ],
                        device=self.device,
                        record_cmd=True,
                    ),
                    wp.launch(
                        self.advance,
                        dim=len(self.rest_np),
                        inputs=[
                            x,
                            xp,
                            self.forces,
                            self.inv_mass,
                            self.fixed,
                            self.rest,
                            self.vec3(*GRAVITY),
                            self.scalar(a),
                            self.scalar(b),
                        ],
                        device=self.device,
                        record_cmd=True,
                    ),
                )
            )

    def step(self, n):
        for _ in range(n):
            elem, node = self.cmds[self.parity]
            self.forces.zero_()
            elem.launch()
            node.launch()
            self.parity = 1 - self.parity

    def positions(self):
        wp.synchronize_device(self.device)
        return self.buf[self.parity].numpy().astype(np.float64)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mesh", help="tetrahedral mesh (VTU, mm)")
    ap.add_argument("--steps", type=int, default=100, help="timed steps")
    ap.add_argument("--warmup", type=int, default=10, help="steps before timing (compiles the kernels)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument(
        "--precision", choices=["f32", "f64"], default="f32", help="float type of the timed run (issue: f32)"
    )
    ap.add_argument("--reference", help="cardiotwin --dump-positions CSV to compare with")
    ap.add_argument("--reference-steps", type=int, help="steps from rest the reference took")
    args = ap.parse_args()
    if args.steps < 1:
        sys.exit("--steps must be at least 1")

    wp.config.log_level = wp.LOG_WARNING  # keep stdout to the JSON
    wp.init()
    points, tets = load(args.mesh)
    prob = PeerNh(points, tets, args.device, args.precision)

    prob.step(max(args.warmup, 1))
    wp.synchronize_device(args.device)
    start = time.perf_counter()
    prob.step(args.steps)
    wp.synchronize_device(args.device)
    seconds = time.perf_counter() - start
    x = prob.positions()
    if not np.isfinite(x).all():
        sys.exit("non-finite positions: the step is unstable")

    out = {
        "workload": "peer-nh",
        "mesh": args.mesh,
        "code": "warp",
        "warp_version": wp.config.version,
        "device": str(wp.get_device(args.device)),
        "device_name": wp.get_device(args.device).name,
        "threads": 1 if args.device == "cpu" else None,
        "precision": args.precision,
        "node_accumulation": "wp.atomic_add",
        "tets": len(tets),
        "nodes": len(points),
        "fixed_nodes": prob.fixed_count,
        "steps": args.steps,
        "warmup_steps": max(args.warmup, 1),
        "dt_ms": prob.dt,
        "seconds": seconds,
        "tet_steps_per_s": len(tets) * args.steps / seconds,
    }

    if args.reference:
        if args.reference_steps is None:
            sys.exit("--reference needs --reference-steps")
        ref = np.loadtxt(args.reference, delimiter=",", skiprows=1)
        if ref.shape != points.shape:
            sys.exit(f"{args.reference}: {ref.shape[0]} positions for {len(points)} nodes")
        disp = np.linalg.norm(ref - points, axis=1)
        out["check"] = {
            "steps": args.reference_steps,
            "max_displacement_mm": float(disp.max()),
            # The spacing of f32 numbers at the largest coordinate: the resolution of f32 positions.
            "f32_position_spacing_mm": float(np.spacing(np.float32(np.abs(points).max()))),
        }
        for precision in ("f64", "f32"):
            p = PeerNh(points, tets, args.device, precision)
            p.step(args.reference_steps)
            dx = np.linalg.norm(p.positions() - ref, axis=1)
            out["check"][precision] = {
                "max_abs_dx_mm": float(dx.max()),
                "relative": float(dx.max() / disp.max()),
            }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
