// surface_gather.wgsl: the vertices the renderer draws, gathered on the GPU from the mechanics' own node
// buffers, so that a simulation on the GPU is drawn without reading its state back. One invocation per
// surface vertex writes the renderer's vertex (render_surface.wgsl's vertex input: position, normal,
// value and its flag; src/render/renderer.rs, Vertex):
//
//   position = rest[n] + u[n] + shift                 (n = the vertex's mesh node; shift moves the
//                                                      mechanics' frame to the renderer's, mm)
//   normal   = normalise(sum over the triangles around the vertex of (b - a) x (c - a))   ((0,0,1) if 0)
//   value    = field 0: none (flag 0)
//              field 1: |u[n]|, mm
//              field 2: the volume-weighted mean of a per-tetrahedron value over the tetrahedra around the
//                       vertex (non-finite values left out; none left: flag 0)
//              field 3: a value per vertex uploaded once (static fields such as the activation time;
//                       non-finite: flag 0)
//
// The CPU twin is SurfaceMesh::tet_values / vertex_normals with Renderer::update (src/render/).
//
// Bindings (group 0):
//   surface_gather: 0 dispatch, 1 params uniform GatherParams, 2 adj read array<u32> (the vertex -> node
//                   map, then the CSR tables at the offsets in params), 3 consts read array<f32> (the
//                   cell weights, then the static values), 4 rest read array<vec4<f32>> (mm, mechanics
//                   frame), 5 u read array<vec4<f32>> (displacements, mm), 6 cell_values read array<f32>,
//                   7 out read_write array<f32> (8 per vertex)
// Owner: src/render/gather.rs.

struct GatherParams {
    // Mechanics frame -> renderer frame, mm (xyz).
    shift: vec4<f32>,
    // 0 none, 1 |u|, 2 per-tetrahedron mean, 3 static per vertex.
    field: u32,
    // Offsets into adj: triangles around each vertex (CSR offsets, entries), the triangles (3 vertex
    // indices each), tetrahedra around each vertex (CSR offsets, entries).
    tri_offsets: u32,
    tri_entries: u32,
    triangles: u32,
    cell_offsets: u32,
    cell_entries: u32,
    // Offsets into consts: one weight per cell entry (rest volume, mm^3), one static value per vertex.
    weights: u32,
    statics: u32,
}

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;
@group(0) @binding(1) var<uniform> params: GatherParams;
@group(0) @binding(2) var<storage, read> adj: array<u32>;
@group(0) @binding(3) var<storage, read> consts: array<f32>;
@group(0) @binding(4) var<storage, read> rest: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> u: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> cell_values: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

// Position of surface vertex v in the renderer's frame, mm.
fn position(v: u32) -> vec3<f32> {
    let n = adj[v];
    return rest[n].xyz + u[n].xyz + params.shift.xyz;
}

@compute @workgroup_size(WG)
fn surface_gather(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let i = local_index(wid, nwg, lid);
    if (i >= dispatch.count) {
        return;
    }
    let v = dispatch.first + i;
    let p = position(v);

    var normal = vec3<f32>(0.0);
    for (var k = adj[params.tri_offsets + v]; k < adj[params.tri_offsets + v + 1u]; k++) {
        let t = adj[params.tri_entries + k];
        let a = position(adj[params.triangles + 3u * t]);
        let b = position(adj[params.triangles + 3u * t + 1u]);
        let c = position(adj[params.triangles + 3u * t + 2u]);
        normal += cross(b - a, c - a);
    }
    let len = length(normal);
    if (len > 0.0 && is_finite(len)) {
        normal = normal / len;
    } else {
        normal = vec3<f32>(0.0, 0.0, 1.0);
    }

    var value = 0.0;
    var has = 0.0;
    switch params.field {
        case 1u: {
            value = length(u[adj[v]].xyz);
            has = 1.0;
        }
        case 2u: {
            var sum = 0.0;
            var weight = 0.0;
            for (var k = adj[params.cell_offsets + v]; k < adj[params.cell_offsets + v + 1u]; k++) {
                let x = cell_values[adj[params.cell_entries + k]];
                if (is_finite(x)) {
                    let w = consts[params.weights + k];
                    sum += w * x;
                    weight += w;
                }
            }
            if (weight > 0.0) {
                value = sum / weight;
                has = 1.0;
            }
        }
        case 3u: {
            let x = consts[params.statics + v];
            if (is_finite(x)) {
                value = x;
                has = 1.0;
            }
        }
        default: {}
    }
    let o = 8u * v;
    out[o] = p.x;
    out[o + 1u] = p.y;
    out[o + 2u] = p.z;
    out[o + 3u] = normal.x;
    out[o + 4u] = normal.y;
    out[o + 5u] = normal.z;
    out[o + 6u] = value;
    out[o + 7u] = has;
}
