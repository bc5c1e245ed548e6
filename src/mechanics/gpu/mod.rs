//! The explicit total-Lagrangian step on the GPU (f32), twin of the CPU reference [`super::tled`]: the same
//! model ([`TledModel`]: material table, volumetric treatment, active stress form, viscosity), loads
//! ([`Loads`]: active tension, follower pressure, Robin springs, gravity) and [`Constraints`] (fixed
//! components, sliding planes), stepped by central differences with mass-proportional damping. Units: mm,
//! ms, mg, mN, kPa.
//!
//! One step is a list of passes, each a kernel of `shaders/` dispatched once:
//!
//! | pass | shader | per | when |
//! |---|---|---|---|
//! | V0 J | `mech_volume.wgsl::tet_jacobian` | tetrahedron | [`Volumetric::NodalAverage`] |
//! | nodal J_n | `mech_volume.wgsl::node_jacobian` | node (CSR gather) | [`Volumetric::NodalAverage`] |
//! | V0 P | `mech_element.wgsl::element_pass` | tetrahedron | always |
//! | pressure | `mech_surface.wgsl::face_pass` | triangle | pressure loads present |
//! | update | `mech_node.wgsl::node_pass` | node (CSR gathers) | always |
//! | clock | `mech_node.wgsl::advance_step` | one invocation | always |
//!
//! Loads that change inside a batch are written by a pass before each step ([`loads`], `mech_loads.wgsl`:
//! a ramp, or a table of loads known ahead); dynamic relaxation ([`relax`]) adds kinetic damping after each
//! step (`mech_relax.wgsl`). Every pass is bound once, when the model is uploaded; a step only records the
//! dispatches. What changes from step to step on the GPU is the step clock (status word 4, which the
//! failure records read); the parameters (time step, damping, gravity) are one uniform per batch.
//!
//! State stays on the GPU between steps and runs: the displacements u = x - X and the last step's
//! increments du = u_n - u_{n-1}, updated in place by the node pass, and the rest positions X relative to
//! the mean rest position ([`GpuTled::origin`]), so that f32 keeps the digits that matter (the increment
//! keeps a step's change of motion that u_{n-1} would round away: `mech_node.wgsl`). For dynamic
//! relaxation the displacement can be kept compensated, as the unevaluated sum u + lo of two f32
//! ([`GpuTled::set_compensated`]), whose equilibrium a soft mode needs beyond f32's 24 bits. The element
//! passes form the displacement gradient from the corners' differences and J - 1 without cancellation, so
//! that what the state holds reaches the stresses. A [`GpuTled::run`]
//! of N steps records all of them in one submission and reads back the 20-byte status: nothing else
//! crosses the bus until [`GpuTled::positions`], [`GpuTled::velocities`] or [`GpuTled::forces`] is asked
//! for. A coupled time loop records steps into its own batch instead ([`GpuTled::record`], then [`GpuTled::finish`] with
//! the status words it read back), between passes of its own that read [`GpuTled::current`] or write
//! [`GpuTled::active_tension_buffer`]; a checkpoint saves and restores the exact state with
//! [`GpuTled::displacements`] and [`GpuTled::set_displacements`]. Every sum is a gather in a fixed order
//! (no float atomics), so a run is deterministic.
//!
//! Failures: the element pass records the first step at which a tetrahedron inverts (J <= 0 or NaN) and
//! the smallest such tetrahedron; the node pass the first step at which a position becomes non-finite and
//! the smallest such node. `run` reports the earlier as [`SimError::Inverted`] or [`SimError::NonFinite`]
//! with the exact step number (J is not recorded: `j` is NaN). The GPU keeps stepping to the end of the
//! batch, so after an error the state is garbage: rebuild from a saved [`TledState`].

mod data;
pub mod loads;
pub mod relax;

use glam::DVec3;

use super::loads::{Constraints, Loads};
use super::material::ActiveStress;
use super::tled::{SimError, Stepping, TledModel, TledState, Volumetric};
use crate::error::{Error, Result};
use crate::gpu::shaders::{MECH_ELEMENT, MECH_NODE, MECH_SURFACE, MECH_VOLUME};
use crate::gpu::{Access, Batch, BoundDispatch, GpuBuffer, GpuContext, GpuError, Kernel};
use data::{MaterialParams, NodeData, SpringData, StepParams};
pub use data::{rel, wide};

/// The status words at the start of a batch: no failure recorded (the first four, see
/// [`GpuTled::finish`]), the step clock at 0.
const CLEAR: [u32; 5] = [u32::MAX, u32::MAX, u32::MAX, u32::MAX, 0];

/// The kernels of one step.
struct Kernels {
    tet_jacobian: Kernel,
    node_jacobian: Kernel,
    element: Kernel,
    face: Kernel,
    node: Kernel,
    clock: Kernel,
}

/// Node pass bindings (`mech_node.wgsl`), shared by `node_pass` and `advance_step`.
const NODE_ACCESS: [Access; 15] = {
    use Access::{Read, ReadWrite, Uniform};
    [
        Uniform, Read, Read, Read, Read, ReadWrite, ReadWrite, Read, Read, Read, Read, Read,
        ReadWrite, ReadWrite, ReadWrite,
    ]
};

/// The passes of a step bound to their buffers (made once: a step records dispatches, no uniforms or
/// bind groups).
struct StepPasses {
    tet_jacobian: BoundDispatch,
    node_jacobian: BoundDispatch,
    element: BoundDispatch,
    /// `None` without pressure loads.
    face: Option<BoundDispatch>,
    node: BoundDispatch,
    clock: BoundDispatch,
}

impl Kernels {
    fn new(ctx: &GpuContext) -> Result<Self> {
        use Access::{Read, ReadWrite, Uniform};
        Ok(Kernels {
            tet_jacobian: Kernel::new(
                ctx,
                &MECH_VOLUME,
                "tet_jacobian",
                &[Uniform, Read, Read, Read, Read, ReadWrite],
            )?,
            node_jacobian: Kernel::new(
                ctx,
                &MECH_VOLUME,
                "node_jacobian",
                &[
                    Uniform, Read, Read, Read, Read, ReadWrite, Read, Read, Read, ReadWrite,
                ],
            )?,
            element: Kernel::new(
                ctx,
                &MECH_ELEMENT,
                "element_pass",
                &[
                    Uniform, Read, Read, Read, Read, Read, Read, Read, Read, Read, ReadWrite,
                    ReadWrite, Read,
                ],
            )?,
            face: Kernel::new(
                ctx,
                &MECH_SURFACE,
                "face_pass",
                &[Read, Read, Read, ReadWrite, Read, Uniform, Read],
            )?,
            node: Kernel::new(ctx, &MECH_NODE, "node_pass", &NODE_ACCESS)?,
            clock: Kernel::new(ctx, &MECH_NODE, "advance_step", &NODE_ACCESS)?,
        })
    }
}

/// A TLED model, its loads and constraints, and its state, resident on the GPU.
pub struct GpuTled {
    kernels: Kernels,
    /// Bound in [`GpuTled::new`], once the buffers exist; never `None` after it.
    passes: Option<StepPasses>,
    /// The [`StepParams`] of the steps being recorded (written by [`GpuTled::record`]).
    params: GpuBuffer<StepParams>,
    // Per tetrahedron.
    materials: GpuBuffer<MaterialParams>,
    material_of: GpuBuffer<u32>,
    tets: GpuBuffer<[u32; 4]>,
    tet_data: GpuBuffer<[[f32; 4]; 4]>,
    frames: GpuBuffer<[[f32; 4]; 3]>,
    active: GpuBuffer<f32>,
    vp: GpuBuffer<[[f32; 4]; 3]>,
    vj: GpuBuffer<f32>,
    // Per node.
    offsets: GpuBuffer<u32>,
    entries: GpuBuffer<[u32; 2]>,
    node_volume: GpuBuffer<f32>,
    j_node: GpuBuffer<f32>,
    nodes: GpuBuffer<NodeData>,
    springs: GpuBuffer<SpringData>,
    forces: GpuBuffer<[f32; 4]>,
    /// Displacements u = x - X, mm, and the last step's increments du = u_n - u_{n-1} (`mech_node.wgsl`
    /// says why the increment, not u_{n-1}).
    x: GpuBuffer<[f32; 4]>,
    du: GpuBuffer<[f32; 4]>,
    /// The low parts of the displacements when `compensated` (all zero otherwise), mm.
    lo: GpuBuffer<[f32; 4]>,
    /// Whether the state is the compensated u + lo ([`GpuTled::set_compensated`]).
    compensated: bool,
    // Pressure loads.
    faces: GpuBuffer<[u32; 4]>,
    pressures: GpuBuffer<f32>,
    face_offsets: GpuBuffer<u32>,
    face_entries: GpuBuffer<u32>,
    face_force: GpuBuffer<[f32; 4]>,
    /// Pressure per load, kPa, uploaded at the next run.
    pressure_values: Vec<f64>,
    status: GpuBuffer<u32>,
    /// Rest positions relative to the mesh origin (f32, for the pressure pass) and in f64 (for
    /// [`GpuTled::positions`]), mm.
    rest: GpuBuffer<[f32; 4]>,
    rest_f64: Vec<DVec3>,
    /// What `rest` is relative to: the mean rest position, mm.
    origin: DVec3,
    gravity: DVec3,
    eta: f64,
    active_form: u32,
    nodal: bool,
    regions: Vec<i32>,
    tet_nodes: Vec<[u32; 4]>,
    /// Time step of the last run, ms (for [`GpuTled::velocities`]).
    last_dt: f64,
    /// Steps taken (from the initial state's count).
    pub step: u64,
    /// Time, ms.
    pub t: f64,
}

impl GpuTled {
    /// Uploads `model`, `state`, `loads` (gravity, active tension, pressures and springs; change the
    /// pressures and the tension later with [`GpuTled::set_pressure`] and
    /// [`GpuTled::set_active_tension`]) and `constraints`. The active tension must be empty or one value
    /// per tetrahedron; a node may lie on at most two distinct sliding planes.
    pub fn new(
        ctx: &GpuContext,
        model: &TledModel,
        state: &TledState,
        loads: &Loads,
        constraints: &Constraints,
    ) -> Result<Self> {
        let (n_tets, n_nodes) = (model.tets.len(), model.node_count());
        if n_tets == 0 {
            return Err(Error::Invalid(
                "the mechanics model has no tetrahedra".into(),
            ));
        }
        check_len("positions", state.x.len(), n_nodes, "nodes")?;
        check_len("previous positions", state.x_prev.len(), n_nodes, "nodes")?;
        check_len(
            "material indices",
            model.material_of.len(),
            n_tets,
            "tetrahedra",
        )?;
        check_len("fibre frames", model.frames.len(), n_tets, "tetrahedra")?;
        if let Some(t) = model
            .material_of
            .iter()
            .position(|&m| m as usize >= model.materials.len())
        {
            return Err(Error::Invalid(format!(
                "tetrahedron {t} uses material {} of a table of {}",
                model.material_of[t],
                model.materials.len()
            )));
        }
        for m in &model.materials {
            m.validate()?;
        }
        if let Some(kv) = model.viscosity {
            kv.validate()?;
        }
        let origin = model.rest.iter().fold(DVec3::ZERO, |a, p| a + *p) / n_nodes.max(1) as f64;
        let tet_data: Vec<[[f32; 4]; 4]> = model
            .grads
            .iter()
            .zip(&model.volume0)
            .map(|(g, &v)| {
                std::array::from_fn(|a| {
                    [
                        g[a].x as f32,
                        g[a].y as f32,
                        g[a].z as f32,
                        if a == 0 { v as f32 } else { 0.0 },
                    ]
                })
            })
            .collect();
        let frames: Vec<[[f32; 4]; 3]> = model
            .frames
            .iter()
            .map(|f| data::mat3(f.matrix()))
            .collect();
        let adjacency = model.adjacency();
        let node_volume: Vec<f32> = (0..n_nodes)
            .map(|n| {
                let v: f64 = adjacency
                    .of(n)
                    .iter()
                    .map(|&[t, _]| model.volume0[t as usize])
                    .sum();
                if v > 0.0 { (1.0 / v) as f32 } else { 0.0 }
            })
            .collect();
        let (node_data, mut spring_data) = data::nodes(model, origin, constraints, &loads.springs)?;
        // A runtime-sized array binding must hold at least one element.
        if spring_data.is_empty() {
            spring_data.push(bytemuck::Zeroable::zeroed());
        }

        let mut tri = Vec::new();
        let mut faces = Vec::new();
        for (l, p) in loads.pressures.iter().enumerate() {
            for &f in &p.faces {
                if let Some(&n) = f.iter().find(|&&n| n as usize >= n_nodes) {
                    return Err(Error::Invalid(format!(
                        "pressure load {l}: triangle {f:?} names node {n} of {n_nodes}"
                    )));
                }
                tri.push(f);
                faces.push([f[0], f[1], f[2], l as u32]);
            }
        }
        let (face_offsets, face_entries) = crate::mesh::topology::node_csr(n_nodes, &tri);
        let pressure_values: Vec<f64> = loads.pressures.iter().map(|p| p.pressure).collect();
        let pressures: Vec<f32> = pressure_values.iter().map(|&p| p as f32).collect();

        // The GPU state is the displacement u = x - X and the increment du = x - x_prev, each formed in
        // f64 (see mech_node.wgsl for why).
        let relative = |x: &[DVec3], to: &[DVec3]| -> Vec<[f32; 4]> {
            x.iter().zip(to).map(|(&p, &r)| data::rel(p, r)).collect()
        };
        let current = relative(&state.x, &model.rest);
        let increment = relative(&state.x, &state.x_prev);
        let rest: Vec<[f32; 4]> = model.rest.iter().map(|&p| data::rel(p, origin)).collect();
        let buffer = |label: &str, data: &[[f32; 4]]| GpuBuffer::from_slice(ctx, label, data);
        let mut gpu = GpuTled {
            kernels: Kernels::new(ctx)?,
            passes: None,
            params: GpuBuffer::uniform(ctx, "step params", &bytemuck::Zeroable::zeroed())?,
            materials: GpuBuffer::from_slice(
                ctx,
                "materials",
                &model
                    .materials
                    .iter()
                    .map(MaterialParams::of)
                    .collect::<Vec<_>>(),
            )?,
            material_of: GpuBuffer::from_slice(ctx, "material of", &model.material_of)?,
            tets: GpuBuffer::from_slice(ctx, "tets", &model.tets)?,
            tet_data: GpuBuffer::from_slice(ctx, "tet data", &tet_data)?,
            frames: GpuBuffer::from_slice(ctx, "fibre frames", &frames)?,
            active: GpuBuffer::zeroed(ctx, "active tension", n_tets)?,
            vp: GpuBuffer::zeroed(ctx, "V0 P", n_tets)?,
            vj: GpuBuffer::zeroed(ctx, "V0 J", n_tets)?,
            offsets: GpuBuffer::from_slice(ctx, "node offsets", &adjacency.offsets)?,
            entries: GpuBuffer::from_slice(ctx, "node entries", &adjacency.entries)?,
            node_volume: GpuBuffer::from_slice(ctx, "1 / node volume", &node_volume)?,
            j_node: GpuBuffer::zeroed(ctx, "nodal J", n_nodes)?,
            nodes: GpuBuffer::from_slice(ctx, "node data", &node_data)?,
            springs: GpuBuffer::from_slice(ctx, "springs", &spring_data)?,
            forces: GpuBuffer::zeroed(ctx, "forces", n_nodes)?,
            x: buffer("displacements", &current)?,
            du: buffer("increments", &increment)?,
            lo: GpuBuffer::zeroed(ctx, "displacement low parts", n_nodes)?,
            compensated: false,
            faces: GpuBuffer::from_slice(ctx, "pressure faces", &faces)?,
            pressures: GpuBuffer::from_slice(ctx, "pressures", &pressures)?,
            face_offsets: GpuBuffer::from_slice(ctx, "face offsets", &face_offsets)?,
            face_entries: GpuBuffer::from_slice(ctx, "face entries", &face_entries)?,
            face_force: GpuBuffer::zeroed(ctx, "face forces", faces.len())?,
            pressure_values,
            status: GpuBuffer::from_slice(ctx, "status", &CLEAR)?,
            rest: buffer("rest positions", &rest)?,
            rest_f64: model.rest.clone(),
            origin,
            gravity: loads.gravity,
            eta: model.viscosity.map_or(0.0, |kv| kv.eta),
            active_form: match model.active {
                ActiveStress::Pk2 => 0,
                ActiveStress::Cauchy => 1,
            },
            nodal: model.volumetric == Volumetric::NodalAverage,
            regions: model.regions.clone(),
            tet_nodes: model.tets.clone(),
            last_dt: 0.0,
            step: state.step,
            t: state.t,
        };
        if !loads.active_tension.is_empty() {
            gpu.set_active_tension(ctx, &loads.active_tension)?;
        }
        gpu.passes = Some(gpu.bind_passes(ctx)?);
        Ok(gpu)
    }

    /// The passes of a step, bound to the buffers (see [`StepPasses`]).
    fn bind_passes(&self, ctx: &GpuContext) -> Result<StepPasses, GpuError> {
        let (n_tets, n_nodes) = (self.tets.len() as u32, self.x.len() as u32);
        let n_faces = self.faces.len() as u32;
        let k = &self.kernels;
        let x = self.x.whole();
        let (params, lo) = (self.params.whole(), self.lo.whole());
        let volume = [
            params,
            self.tets.whole(),
            self.tet_data.whole(),
            x,
            lo,
            self.vj.whole(),
        ];
        let mut node_volume = volume.to_vec();
        node_volume.extend([
            self.offsets.whole(),
            self.entries.whole(),
            self.node_volume.whole(),
            self.j_node.whole(),
        ]);
        let element = [
            self.params.whole(),
            self.materials.whole(),
            self.material_of.whole(),
            self.tets.whole(),
            self.tet_data.whole(),
            self.frames.whole(),
            self.active.whole(),
            x,
            self.du.whole(),
            self.j_node.whole(),
            self.vp.whole(),
            self.status.whole(),
            lo,
        ];
        let face = [
            self.faces.whole(),
            self.pressures.whole(),
            x,
            self.face_force.whole(),
            self.rest.whole(),
            params,
            lo,
        ];
        let node = [
            self.params.whole(),
            self.offsets.whole(),
            self.entries.whole(),
            self.vp.whole(),
            self.tet_data.whole(),
            x,
            self.du.whole(),
            self.nodes.whole(),
            self.springs.whole(),
            self.face_offsets.whole(),
            self.face_entries.whole(),
            self.face_force.whole(),
            self.forces.whole(),
            self.status.whole(),
            lo,
        ];
        Ok(StepPasses {
            tet_jacobian: k.tet_jacobian.bind(ctx, &volume, n_tets, 0)?,
            node_jacobian: k.node_jacobian.bind(ctx, &node_volume, n_nodes, 0)?,
            element: k.element.bind(ctx, &element, n_tets, 0)?,
            face: (n_faces > 0)
                .then(|| k.face.bind(ctx, &face, n_faces, 0))
                .transpose()?,
            node: k.node.bind(ctx, &node, n_nodes, 0)?,
            clock: k.clock.bind(ctx, &node, 1, 0)?,
        })
    }

    /// Replaces the active tension Ta (kPa, one value per tetrahedron) from the next run on.
    pub fn set_active_tension(&mut self, ctx: &GpuContext, ta: &[f64]) -> Result<()> {
        check_len("active tension", ta.len(), self.tets.len(), "tetrahedra")?;
        let values: Vec<f32> = ta.iter().map(|&v| v as f32).collect();
        self.active.write(ctx, &values);
        Ok(())
    }

    /// Sets the pressure (kPa) of pressure load `index` (in the order of [`Loads::pressures`]) from the
    /// next run on.
    pub fn set_pressure(&mut self, index: usize, kpa: f64) -> Result<()> {
        let count = self.pressure_values.len();
        let slot = self.pressure_values.get_mut(index).ok_or_else(|| {
            Error::Invalid(format!("pressure load {index} of {count} does not exist"))
        })?;
        *slot = kpa;
        Ok(())
    }

    /// Sets the body force per unit mass (mm/ms^2) from the next run on.
    pub fn set_gravity(&mut self, gravity: DVec3) {
        self.gravity = gravity;
    }

    /// Advances `steps` steps of `stepping.dt` ms with damping `stepping.damping` (1/ms), in one submission.
    /// An inverted tetrahedron or a non-finite position ends the run with [`SimError::Inverted`] or
    /// [`SimError::NonFinite`] at the step where it first happened (module docs).
    pub fn run(&mut self, ctx: &GpuContext, steps: u32, stepping: Stepping) -> Result<()> {
        if steps == 0 {
            return check_stepping(stepping);
        }
        let mut batch = Batch::new(ctx, "mechanics steps");
        let pending = self.record(ctx, &mut batch, steps, stepping)?;
        batch.submit()?;
        let status = self.status.read(ctx)?;
        self.finish(pending, &status)
    }

    /// Records `steps` steps into `batch`, to run with the caller's own passes before and after them (a
    /// coupled time loop: see [`crate::heartbeat`]): the state is updated in place, so the current
    /// positions ([`GpuTled::current`]) are those after the steps for every pass recorded later. Once the
    /// batch ran, hand its [`GpuTled::status_buffer`] words to [`GpuTled::finish`]. The pressures, the step
    /// parameters and the cleared status are queued writes, which run before the next submission: record
    /// one batch of steps per submission.
    pub fn record(
        &mut self,
        ctx: &GpuContext,
        batch: &mut Batch<'_>,
        steps: u32,
        stepping: Stepping,
    ) -> Result<PendingSteps> {
        self.begin(ctx, stepping)?;
        for _ in 0..steps {
            self.record_step(batch);
        }
        Ok(PendingSteps {
            steps,
            dt: stepping.dt,
        })
    }

    /// Queues the writes a batch of steps starts from: the pressures, the step parameters and the cleared
    /// status (with its clock at 0).
    fn begin(&mut self, ctx: &GpuContext, stepping: Stepping) -> Result<()> {
        check_stepping(stepping)?;
        let Stepping { dt, damping } = stepping;
        let pressures: Vec<f32> = self.pressure_values.iter().map(|&p| p as f32).collect();
        if !pressures.is_empty() {
            self.pressures.write(ctx, &pressures);
        }
        self.status.write(ctx, &CLEAR);
        self.params.write(
            ctx,
            &[StepParams {
                gravity: self.gravity.as_vec3().to_array(),
                dt: dt as f32,
                alpha: damping as f32,
                eta: self.eta as f32,
                active_form: self.active_form,
                nodal: self.nodal as u32,
                compensated: self.compensated as u32,
                one: 1.0,
                _pad: [0; 2],
            }],
        );
        Ok(())
    }

    /// Records the passes of one step (after [`GpuTled::begin`]).
    fn record_step(&self, batch: &mut Batch<'_>) {
        let k = &self.kernels;
        let p = self
            .passes
            .as_ref()
            .expect("GpuTled::new binds the passes before returning");
        if self.nodal {
            batch.dispatch_bound(&k.tet_jacobian, &p.tet_jacobian);
            batch.dispatch_bound(&k.node_jacobian, &p.node_jacobian);
        }
        batch.dispatch_bound(&k.element, &p.element);
        if let Some(face) = &p.face {
            batch.dispatch_bound(&k.face, face);
        }
        batch.dispatch_bound(&k.node, &p.node);
        batch.dispatch_bound(&k.clock, &p.clock);
    }

    /// Completes steps recorded by [`GpuTled::record`] after their batch ran: advances the step count and
    /// the time, and reports a failure from `status` (the first 4 words of [`GpuTled::status_buffer`], read
    /// back) as [`GpuTled::run`] does.
    pub fn finish(&mut self, pending: PendingSteps, status: &[u32]) -> Result<()> {
        let PendingSteps { steps, dt } = pending;
        let first = self.step;
        self.step += steps as u64;
        self.t += steps as f64 * dt;
        self.last_dt = dt;
        let Some(&[inv_step, tet, nan_step, node]) = status.get(..4) else {
            return Err(GpuError::Readback {
                label: "status".into(),
                message: format!("{} words, at least 4 expected", status.len()),
            }
            .into());
        };
        // The element pass of a step runs before its node pass: on a tie the inversion came first.
        if inv_step != u32::MAX && inv_step <= nan_step {
            let t = tet as usize;
            return Err(SimError::Inverted {
                step: first + inv_step as u64,
                tet: t,
                region: self.regions.get(t).copied().unwrap_or(0),
                nodes: self.tet_nodes.get(t).copied().unwrap_or_default(),
                j: f64::NAN,
            }
            .into());
        }
        if nan_step != u32::MAX {
            return Err(SimError::NonFinite {
                step: first + nan_step as u64,
                field: "position",
                node: node as usize,
            }
            .into());
        }
        Ok(())
    }

    /// The status buffer: the failures the steps write in words 0-3 (see [`GpuTled::finish`]), the step
    /// clock in word 4.
    pub fn status_buffer(&self) -> &GpuBuffer<u32> {
        &self.status
    }

    /// The current displacements u = x - X, mm, one `[f32; 4]` per node (w unused): the positions are
    /// `rest_buffer() + current()` relative to [`GpuTled::origin`].
    pub fn current(&self) -> &GpuBuffer<[f32; 4]> {
        &self.x
    }

    /// The rest positions X relative to [`GpuTled::origin`], mm, one `[f32; 4]` per node.
    pub fn rest_buffer(&self) -> &GpuBuffer<[f32; 4]> {
        &self.rest
    }

    /// The origin of [`GpuTled::rest_buffer`]: the mean rest position, mm.
    pub fn origin(&self) -> DVec3 {
        self.origin
    }

    /// The active tension per tetrahedron, kPa, that the next steps read: a kernel may write it directly
    /// instead of [`GpuTled::set_active_tension`] uploading it.
    pub fn active_tension_buffer(&self) -> &GpuBuffer<f32> {
        &self.active
    }

    /// Switches the compensated state on or off (`mech_node.wgsl`): with it the displacement is the
    /// unevaluated sum u + lo of two f32 (about 48 bits), which dynamic relaxation needs where the
    /// equilibrium of a soft mode hides below one f32 unit of u ([`relax`]); it costs the element passes
    /// a second gather of four vectors per tetrahedron, so the dynamic steps run without it. Switching on
    /// starts with lo = 0 (the current u exactly); switching off rounds u + lo to f32. lo is all zero
    /// whenever the state is not compensated (zeroed at upload and here), so switching on writes nothing.
    pub fn set_compensated(&mut self, ctx: &GpuContext, on: bool) -> Result<()> {
        if on == self.compensated {
            return Ok(());
        }
        if !on {
            let (u, lo) = (self.x.read(ctx)?, self.lo.read(ctx)?);
            let rounded: Displacements = u
                .iter()
                .zip(&lo)
                .map(|(u, l)| rel(wide(u) + wide(l), DVec3::ZERO))
                .collect();
            self.x.write(ctx, &rounded);
            self.lo.write(ctx, &vec![[0.0; 4]; lo.len()]);
        }
        self.compensated = on;
        Ok(())
    }

    /// With the compensated state on, sets lo to what the f32 displacements uploaded from `state` (in
    /// [`GpuTled::new`]) rounded off, so that the GPU starts from the f64 state to about 48 bits.
    /// Call before any step.
    pub(super) fn upload_low_parts(&mut self, ctx: &GpuContext, state: &TledState) -> Result<()> {
        check_len("positions", state.x.len(), self.lo.len(), "nodes")?;
        if self.compensated {
            let lo: Displacements = state
                .x
                .iter()
                .zip(&self.rest_f64)
                .map(|(&p, &r)| {
                    let u = p - r;
                    rel(u - wide(&rel(u, DVec3::ZERO)), DVec3::ZERO)
                })
                .collect();
            self.lo.write(ctx, &lo);
        }
        Ok(())
    }

    /// Whether the state is compensated ([`GpuTled::set_compensated`]).
    pub fn compensated(&self) -> bool {
        self.compensated
    }

    /// The current displacements and the last step's increments (u = x - X, du = u - u_prev), mm,
    /// exactly as the GPU holds them: with [`GpuTled::set_displacements`] a state saved and restored bit
    /// for bit. Refused for a compensated state, which f32 values do not hold exactly (switch it off
    /// first).
    pub fn displacements(&self, ctx: &GpuContext) -> Result<(Displacements, Displacements)> {
        if self.compensated {
            return Err(Error::Invalid(
                "the compensated GPU state u + lo has no exact f32 form: switch compensation off \
                 before saving it"
                    .into(),
            ));
        }
        Ok((self.x.read(ctx)?, self.du.read(ctx)?))
    }

    /// The displacements in f64, mm: u, plus lo when compensated.
    fn displacements_f64(&self, ctx: &GpuContext) -> Result<Vec<DVec3>> {
        let u = self.x.read(ctx)?;
        if !self.compensated {
            return Ok(u.iter().map(wide).collect());
        }
        let lo = self.lo.read(ctx)?;
        Ok(u.iter().zip(&lo).map(|(u, l)| wide(u) + wide(l)).collect())
    }

    /// Replaces the current displacements and increments (see [`GpuTled::displacements`]), one value per
    /// node each.
    pub fn set_displacements(
        &mut self,
        ctx: &GpuContext,
        current: &[[f32; 4]],
        increment: &[[f32; 4]],
    ) -> Result<()> {
        let n = self.x.len();
        check_len("displacements", current.len(), n, "nodes")?;
        check_len("increments", increment.len(), n, "nodes")?;
        self.x.write(ctx, current);
        self.du.write(ctx, increment);
        if self.compensated {
            self.lo.write(ctx, &vec![[0.0; 4]; n]);
        }
        Ok(())
    }

    /// The current positions X + u (+ lo when compensated), mm (the rest positions in f64, the
    /// displacements from the GPU).
    pub fn positions(&self, ctx: &GpuContext) -> Result<Vec<DVec3>> {
        Ok(self
            .displacements_f64(ctx)?
            .iter()
            .zip(&self.rest_f64)
            .map(|(u, r)| *r + *u)
            .collect())
    }

    /// The previous positions X + u - du, mm (the step before [`GpuTled::positions`]), in f64.
    pub fn previous_positions(&self, ctx: &GpuContext) -> Result<Vec<DVec3>> {
        Ok(self.state(ctx)?.x_prev)
    }

    /// The state as the CPU steps hold it: positions X + u and X + u - du (f64, one read-back of each
    /// buffer; u includes lo when compensated), time and step count.
    pub fn state(&self, ctx: &GpuContext) -> Result<TledState> {
        let (u, du) = (self.displacements_f64(ctx)?, self.du.read(ctx)?);
        let (x, x_prev) = u
            .iter()
            .zip(&du)
            .zip(&self.rest_f64)
            .map(|((u, d), r)| (*r + *u, *r + (*u - wide(d))))
            .unzip();
        Ok(TledState {
            x,
            x_prev,
            t: self.t,
            step: self.step,
        })
    }

    /// The velocities du / dt of the last run's time step, mm/ms (zero before any run).
    pub fn velocities(&self, ctx: &GpuContext) -> Result<Vec<DVec3>> {
        let k = if self.last_dt > 0.0 {
            1.0 / self.last_dt
        } else {
            0.0
        };
        Ok(self.du.read(ctx)?.iter().map(|d| wide(d) * k).collect())
    }

    /// The total nodal forces (internal, gravity, pressure, springs) of the last step, mN: the twin of
    /// [`super::tled::Scratch::forces`].
    pub fn forces(&self, ctx: &GpuContext) -> Result<Vec<DVec3>> {
        Ok(self.forces.read(ctx)?.iter().map(wide).collect())
    }
}

/// Displacements as the GPU holds them: one `[f32; 4]` per node, xyz in mm, w unused.
pub type Displacements = Vec<[f32; 4]>;

/// Steps recorded by [`GpuTled::record`], to complete with [`GpuTled::finish`] once their batch ran.
#[derive(Debug)]
#[must_use = "complete the steps with GpuTled::finish once their batch ran"]
pub struct PendingSteps {
    steps: u32,
    dt: f64,
}

fn check_stepping(stepping: Stepping) -> Result<()> {
    let Stepping { dt, damping } = stepping;
    if dt.is_finite() && dt > 0.0 && damping.is_finite() && damping >= 0.0 {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "time step {dt} ms and damping {damping} 1/ms must be finite, with dt > 0 and damping >= 0"
        )))
    }
}

fn check_len(what: &'static str, len: usize, expected: usize, items: &'static str) -> Result<()> {
    if len == expected {
        Ok(())
    } else {
        Err(SimError::Length {
            what,
            len,
            expected,
            items,
        }
        .into())
    }
}
