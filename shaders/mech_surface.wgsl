// mech_surface.wgsl: follower pressure on boundary triangles, one invocation per triangle.
//
// Each outward-oriented triangle (a, b, c) of pressure load l gives each of its three nodes
//   f = -p_l n A / 3 = -p_l / 6 (x_b - x_a) x (x_c - x_a)   (mN; p in kPa, x in mm),
// with the edges formed as (X_b - X_a) + (u_b - u_a) (+ the low parts' difference when the state is
// compensated, see mech_node.wgsl), not from positions X + u, whose f32 sum would round each edge to the
// unit of the coordinates rather than of the edge.
// written per triangle; the node pass of mech_node.wgsl gathers them through a node -> triangle CSR in
// triangle order (deterministic, no float atomics). A positive pressure pushes the surface into the body.
// CPU twin: src/mechanics/loads.rs (PressureLoad::add_forces).
//
// Dispatch: WG-wide workgroups on a 2-D grid covering `dispatch.count` triangles.
// Bindings (group 0):
//   0  dispatch    uniform             DispatchParams
//   1  faces       storage read        array<vec4<u32>>   (a, b, c, load index)
//   2  pressures   storage read        array<f32>         pressure per load, kPa
//   3  x           storage read        array<vec4<f32>>   current displacements u = x - X (xyz), mm
//   4  face_force  storage read_write  array<vec4<f32>>   force on each corner of the triangle (xyz), mN
//   5  rest        storage read        array<vec4<f32>>   rest positions X (xyz, relative to the mesh origin), mm
//   6  params      uniform             StepParams         this batch (common.wgsl): `compensated`
//   7  lo          storage read        array<vec4<f32>>   low parts of u (params.compensated only), mm
// Owner: src/mechanics/gpu/mod.rs.

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;
@group(0) @binding(1) var<storage, read> faces: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> pressures: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> face_force: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> rest: array<vec4<f32>>;
@group(0) @binding(6) var<uniform> params: StepParams;
@group(0) @binding(7) var<storage, read> lo: array<vec4<f32>>;

// The deformed edge x_b - x_a of nodes a and b.
fn edge(a: u32, b: u32) -> vec3<f32> {
    var e = (rest[b].xyz - rest[a].xyz) + (x[b].xyz - x[a].xyz);
    if (params.compensated != 0u) {
        e += lo[b].xyz - lo[a].xyz;
    }
    return e;
}

@compute @workgroup_size(WG)
fn face_pass(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let i = local_index(wid, nwg, lid);
    if (i >= dispatch.count) {
        return;
    }
    let face = faces[i];
    let area2 = cross(edge(face.x, face.y), edge(face.x, face.z));
    face_force[i] = vec4<f32>(area2 * (-pressures[face.w] / 6.0), 0.0);
}
