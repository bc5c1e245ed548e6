//! Closed triangle surfaces (OBJ, STL ASCII and binary) to tetrahedral volume meshes: surfaces generated
//! here (icosphere, torus, L-shaped prism, the Land ventricle's boundary) are written to temporary files,
//! read back and meshed. Checked: the three formats give the same mesh; the mesh volume is within 2% of
//! the volume the surface encloses; no inverted or flat tetrahedra; one component; a closed boundary
//! tagged "surface"; repairs are counted; open surfaces and malformed files give errors, never panics.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use cardiotwin::anatomy::land_ellipsoid::LandEllipsoid;
use cardiotwin::mesh::io::surface::{
    TriSurface, parse_obj, parse_stl, read_surface, write_obj, write_stl,
};
use cardiotwin::mesh::io::{self, Format, ImportError};
use cardiotwin::mesh::topology::{boundary_faces, components, is_closed};
use cardiotwin::mesh::volume_mesher::{MIN_VOLUME_FRACTION, MesherReport, tetrahedralise};
use cardiotwin::mesh::{TetMesh, signed_volume};

/// A file in cargo's per-target scratch folder for integration tests (under `target/`).
fn temp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("import_surface");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Rounds coordinates to `f32` so that binary STL and OBJ (read as `f32` by `tobj`) store them exactly.
fn to_f32(mut s: TriSurface) -> TriSurface {
    for p in &mut s.vertices {
        *p = p.map(|c| c as f32 as f64);
    }
    s
}

/// An icosphere: the icosahedron subdivided `levels` times, vertices pushed to radius `r`, outward.
fn icosphere(r: f64, levels: usize) -> TriSurface {
    let t = (1.0 + 5f64.sqrt()) / 2.0;
    let mut v: Vec<[f64; 3]> = vec![
        [-1.0, t, 0.0],
        [1.0, t, 0.0],
        [-1.0, -t, 0.0],
        [1.0, -t, 0.0],
        [0.0, -1.0, t],
        [0.0, 1.0, t],
        [0.0, -1.0, -t],
        [0.0, 1.0, -t],
        [t, 0.0, -1.0],
        [t, 0.0, 1.0],
        [-t, 0.0, -1.0],
        [-t, 0.0, 1.0],
    ];
    let mut f: Vec<[u32; 3]> = vec![
        [0, 11, 5],
        [0, 5, 1],
        [0, 1, 7],
        [0, 7, 10],
        [0, 10, 11],
        [1, 5, 9],
        [5, 11, 4],
        [11, 10, 2],
        [10, 7, 6],
        [7, 1, 8],
        [3, 9, 4],
        [3, 4, 2],
        [3, 2, 6],
        [3, 6, 8],
        [3, 8, 9],
        [4, 9, 5],
        [2, 4, 11],
        [6, 2, 10],
        [8, 6, 7],
        [9, 8, 1],
    ];
    let unit = |p: [f64; 3]| {
        let l = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
        p.map(|c| c / l)
    };
    for p in &mut v {
        *p = unit(*p);
    }
    for _ in 0..levels {
        let mut mid: HashMap<(u32, u32), u32> = HashMap::new();
        let mut next = Vec::with_capacity(4 * f.len());
        for tri in &f {
            let mut m = [0u32; 3];
            for k in 0..3 {
                let (a, b) = (tri[k], tri[(k + 1) % 3]);
                m[k] = *mid.entry((a.min(b), a.max(b))).or_insert_with(|| {
                    let (pa, pb) = (v[a as usize], v[b as usize]);
                    v.push(unit(std::array::from_fn(|i| 0.5 * (pa[i] + pb[i]))));
                    (v.len() - 1) as u32
                });
            }
            next.push([tri[0], m[0], m[2]]);
            next.push([tri[1], m[1], m[0]]);
            next.push([tri[2], m[2], m[1]]);
            next.push(m);
        }
        f = next;
    }
    to_f32(TriSurface {
        vertices: v.into_iter().map(|p| p.map(|c| c * r)).collect(),
        triangles: f,
    })
}

/// A torus of radii `big` (centre line) and `small` (tube), `nu` x `nv` quads cut in two.
fn torus(big: f64, small: f64, nu: usize, nv: usize) -> TriSurface {
    use std::f64::consts::TAU;
    let mut vertices = Vec::new();
    for i in 0..nu {
        let u = TAU * i as f64 / nu as f64;
        for j in 0..nv {
            let w = TAU * j as f64 / nv as f64;
            let rho = big + small * w.cos();
            vertices.push([rho * u.cos(), rho * u.sin(), small * w.sin()]);
        }
    }
    let id = |i: usize, j: usize| ((i % nu) * nv + j % nv) as u32;
    let mut triangles = Vec::new();
    for i in 0..nu {
        for j in 0..nv {
            let (a, b, c, d) = (id(i, j), id(i + 1, j), id(i + 1, j + 1), id(i, j + 1));
            triangles.push([a, b, c]);
            triangles.push([a, c, d]);
        }
    }
    to_f32(TriSurface {
        vertices,
        triangles,
    })
}

/// A prism over an L-shaped polygon (20 x 20 mm with a 12 x 12 mm notch), 10 mm high: non-convex, with
/// sharp edges. Exact volume 2560 mm^3.
fn l_prism() -> TriSurface {
    let poly = [
        [0.0, 0.0],
        [20.0, 0.0],
        [20.0, 8.0],
        [8.0, 8.0],
        [8.0, 20.0],
        [0.0, 20.0],
    ];
    let n = poly.len() as u32;
    let mut vertices = Vec::new();
    for z in [0.0, 10.0] {
        for p in poly {
            vertices.push([p[0], p[1], z]);
        }
    }
    // Fan from the reflex corner 3 splits the L into convex triangles.
    let mut triangles = Vec::new();
    for k in [4u32, 5, 0, 1] {
        let next = (k + 1) % n;
        triangles.push([3, next, k]); // bottom, facing -z
        triangles.push([n + 3, n + k, n + next]); // top, facing +z
    }
    for k in 0..n {
        let next = (k + 1) % n;
        triangles.push([k, next, n + next]);
        triangles.push([k, n + next, n + k]);
    }
    TriSurface {
        vertices,
        triangles,
    }
}

fn mesh_volume(mesh: &TetMesh) -> (f64, f64) {
    let v: Vec<f64> = (0..mesh.tet_count())
        .map(|t| signed_volume(&mesh.tet_points(t)))
        .collect();
    (
        v.iter().sum(),
        v.iter().copied().fold(f64::INFINITY, f64::min),
    )
}

/// Checks every property the mesher promises; returns the relative volume error against `reference`.
fn check(name: &str, mesh: &TetMesh, report: &MesherReport, reference: f64, h: f64) -> f64 {
    let (volume, min_volume) = mesh_volume(mesh);
    let error = (volume - reference) / reference;
    eprintln!(
        "[{name}] h {h} mm: {} nodes, {} tets, volume {volume:.2} vs {reference:.2} mm^3 ({:+.3}%), \
         min/mean quality {:.3}/{:.3} ({} below 0.1), snapped {}/{} (partly {}), filled {}, dropped {}",
        mesh.node_count(),
        mesh.tet_count(),
        100.0 * error,
        report.min_quality,
        report.mean_quality,
        report.poor_tets,
        report.snapped_nodes,
        report.boundary_nodes,
        report.partly_snapped_nodes,
        report.filled_tets,
        report.dropped_tets,
    );
    assert!(
        min_volume > 0.0,
        "[{name}] inverted or flat tet: {min_volume}"
    );
    assert!(
        min_volume >= 0.99 * MIN_VOLUME_FRACTION * h.powi(3) / 6.0,
        "[{name}] too flat: {min_volume}"
    );
    assert_eq!(mesh.inverted_repaired(), 0);
    let (faces, over) = boundary_faces(mesh);
    assert_eq!(over, 0, "[{name}] faces shared by more than two tets");
    assert!(
        is_closed(faces.iter().map(|f| f.nodes)),
        "[{name}] open boundary"
    );
    assert_eq!(mesh.surfaces().triangles.len(), faces.len());
    assert!(mesh.surfaces().tags.iter().all(|&t| t == 1));
    assert_eq!(
        mesh.surface_names.get(&1).map(String::as_str),
        Some("surface")
    );
    assert!(mesh.regions().iter().all(|&r| r == 1));
    assert_eq!(components(mesh), 1, "[{name}] components");
    assert!((report.mesh_volume_mm3 - volume).abs() < 1e-9 * volume);
    assert!(
        error.abs() < 0.02,
        "[{name}] volume error {:.3}%",
        100.0 * error
    );
    error
}

/// Euler characteristic of the boundary: 2 for a sphere, 0 for a torus.
fn boundary_euler(mesh: &TetMesh) -> i64 {
    let tris = &mesh.surfaces().triangles;
    let mut edges = std::collections::HashSet::new();
    let mut verts = std::collections::HashSet::new();
    for t in tris {
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            edges.insert((a.min(b), a.max(b)));
            verts.insert(a);
        }
    }
    verts.len() as i64 - edges.len() as i64 + tris.len() as i64
}

#[test]
fn sphere_in_three_formats_gives_one_mesh_with_the_enclosed_volume() {
    let sphere = icosphere(10.0, 4);
    let reference = sphere.enclosed_volume();
    let exact = 4.0 / 3.0 * std::f64::consts::PI * 1000.0;
    assert!((reference - exact).abs() / exact < 0.01);
    let files = [
        write_stl(&temp("sphere_bin.stl"), &sphere, true).unwrap(),
        write_stl(&temp("sphere_ascii.stl"), &sphere, false).unwrap(),
        write_obj(&temp("sphere.obj"), &sphere).unwrap(),
    ];
    let h = 1.0;
    let mut meshes = Vec::new();
    for f in &files {
        let surface = read_surface(f).unwrap();
        let t0 = Instant::now();
        let (mesh, report) = tetrahedralise(&surface, h).unwrap();
        eprintln!("{}: meshed in {:.2?}", f.display(), t0.elapsed());
        check(&f.display().to_string(), &mesh, &report, reference, h);
        assert!((report.surface_volume_mm3 - reference).abs() < 1e-6 * reference);
        assert_eq!(boundary_euler(&mesh), 2);
        meshes.push(mesh);
    }
    for m in &meshes[1..] {
        assert_eq!(m.nodes(), meshes[0].nodes());
        assert_eq!(m.tets(), meshes[0].tets());
    }
    // Through the format dispatch, with the default and a chosen element size.
    assert_eq!(Format::of(&files[0]).unwrap(), Format::Stl);
    assert_eq!(Format::of(&files[2]).unwrap(), Format::Obj);
    let default = io::read(&files[0]).unwrap();
    let (volume, _) = mesh_volume(&default);
    eprintln!(
        "default element size (diagonal/25 = {:.3} mm): {} tets, volume error {:+.3}%",
        sphere.bbox().diagonal() / 25.0,
        default.tet_count(),
        100.0 * (volume - reference) / reference
    );
    assert!(((volume - reference) / reference).abs() < 0.03);
    let chosen = io::read_with_element_size(&files[2], h).unwrap();
    assert_eq!(chosen.tets(), meshes[0].tets());
}

#[test]
fn sphere_volume_converges() {
    let sphere = icosphere(10.0, 4);
    let reference = sphere.enclosed_volume();
    for h in [2.0, 1.0, 0.5] {
        let (mesh, report) = tetrahedralise(&sphere, h).unwrap();
        let (volume, _) = mesh_volume(&mesh);
        eprintln!(
            "sphere h {h}: {} tets, error {:+.3}%, snapped {}/{}",
            mesh.tet_count(),
            100.0 * (volume - reference) / reference,
            report.snapped_nodes,
            report.boundary_nodes
        );
        if h <= 1.0 {
            check("sphere", &mesh, &report, reference, h);
        }
    }
}

#[test]
fn torus_is_meshed_with_genus_one() {
    let torus = torus(10.0, 4.0, 64, 32);
    let reference = torus.enclosed_volume();
    let path = write_stl(&temp("torus.stl"), &torus, true).unwrap();
    let surface = read_surface(&path).unwrap();
    let h = 28.0 / 20.0;
    let (mesh, report) = tetrahedralise(&surface, h).unwrap();
    check("torus", &mesh, &report, reference, h);
    assert_eq!(
        boundary_euler(&mesh),
        0,
        "a torus's boundary has Euler characteristic 0"
    );
    let exact = 2.0 * std::f64::consts::PI.powi(2) * 10.0 * 16.0;
    assert!((reference - exact).abs() / exact < 0.01);
}

#[test]
fn non_convex_l_prism() {
    let l = l_prism();
    let reference = l.enclosed_volume();
    assert!((reference - 2560.0).abs() < 1e-9);
    let path = write_obj(&temp("l_prism.obj"), &l).unwrap();
    let surface = read_surface(&path).unwrap();
    let h = 1.0;
    let (mesh, report) = tetrahedralise(&surface, h).unwrap();
    check("L prism", &mesh, &report, reference, h);
    // Nothing in the notch.
    for t in 0..mesh.tet_count() {
        let p = mesh.tet_points(t);
        let c: [f64; 3] = std::array::from_fn(|k| p.iter().map(|q| q[k]).sum::<f64>() / 4.0);
        assert!(!(c[0] > 9.0 && c[1] > 9.0), "centroid {c:?} in the notch");
    }
}

#[test]
fn duplicated_vertices_and_triangles_are_repaired_and_reported() {
    let sphere = icosphere(10.0, 3);
    let reference = sphere.enclosed_volume();
    // Every triangle with its own three vertices (as STL), plus three triangles repeated.
    let mut soup = TriSurface::default();
    for t in &sphere.triangles {
        let b = soup.vertices.len() as u32;
        soup.vertices.extend(t.map(|v| sphere.vertices[v as usize]));
        soup.triangles.push([b, b + 1, b + 2]);
    }
    for k in [0usize, 100, 200] {
        let t = soup.triangles[k];
        soup.triangles.push([t[1], t[2], t[0]]);
    }
    // One degenerate sliver: two corners the same vertex.
    soup.triangles.push([0, 0, 1]);
    let (mesh, report) = tetrahedralise(&soup, 1.0).unwrap();
    let r = report.repair;
    eprintln!("repair: {r:?}");
    assert_eq!(r.vertices_in, 3 * sphere.triangles.len());
    assert_eq!(r.vertices_in - r.vertices_merged, sphere.vertices.len());
    assert_eq!(r.duplicate_triangles, 3);
    assert_eq!(r.degenerate_triangles, 1);
    assert_eq!(r.open_edges, 0);
    assert_eq!(r.non_manifold_edges, 0);
    assert!(r.changed());
    check("repaired sphere", &mesh, &report, reference, 1.0);
}

#[test]
fn a_small_hole_is_tolerated_and_reported() {
    let mut sphere = icosphere(10.0, 3);
    let reference = sphere.enclosed_volume();
    sphere.triangles.remove(17);
    let (mesh, report) = tetrahedralise(&sphere, 1.0).unwrap();
    assert_eq!(report.repair.open_edges, 3);
    assert_eq!(report.repair.edges, 1920);
    check("sphere less one triangle", &mesh, &report, reference, 1.0);
}

#[test]
fn a_big_hole_is_rejected_with_a_clear_error() {
    let mut sphere = icosphere(10.0, 3);
    let v = sphere.vertices.clone();
    sphere
        .triangles
        .retain(|t| t.iter().any(|&i| v[i as usize][2] < 7.0));
    let path = write_stl(&temp("holey.stl"), &sphere, true).unwrap();
    let err = io::read(&path).unwrap_err();
    let msg = err.to_string();
    eprintln!("{msg}");
    assert!(matches!(err, ImportError::Invalid { .. }));
    assert!(msg.contains("not closed") && msg.contains("open"), "{msg}");
    assert!(msg.contains("holey.stl"));
}

#[test]
fn malformed_files_give_errors() {
    let sphere = icosphere(10.0, 1);
    let bin = std::fs::read(write_stl(&temp("m.stl"), &sphere, true).unwrap()).unwrap();
    let ascii =
        std::fs::read_to_string(write_stl(&temp("m_ascii.stl"), &sphere, false).unwrap()).unwrap();
    let obj = std::fs::read_to_string(write_obj(&temp("m.obj"), &sphere).unwrap()).unwrap();
    let p = Path::new("bad.stl");
    let q = Path::new("bad.obj");
    let expect_err = |what: &str, r: Result<TriSurface, ImportError>| {
        let e = r.expect_err(what);
        eprintln!("{what}: {e}");
        e
    };
    // Binary STL.
    let e = expect_err("truncated binary", parse_stl(p, &bin[..bin.len() - 7]));
    assert!(matches!(e, ImportError::Binary { offset: 80, .. }));
    let mut bad_count = bin.clone();
    bad_count[80..84].copy_from_slice(&u32::MAX.to_le_bytes());
    expect_err("bad count", parse_stl(p, &bad_count));
    let mut nan = bin.clone();
    nan[84 + 50 * 3 + 16..84 + 50 * 3 + 20].copy_from_slice(&f32::NAN.to_le_bytes());
    let e = expect_err("NaN binary", parse_stl(p, &nan));
    assert!(matches!(e, ImportError::Binary { offset, .. } if offset == 84 + 150 + 16));
    expect_err("short", parse_stl(p, &bin[..40]));
    expect_err("empty", parse_stl(p, b""));
    let mut zero = bin[..84].to_vec();
    zero[80..84].copy_from_slice(&0u32.to_le_bytes());
    expect_err("no triangles", parse_stl(p, &zero));
    // ASCII STL.
    let e = expect_err(
        "NaN ascii",
        parse_stl(p, ascii.replacen("vertex ", "vertex NaN ", 1).as_bytes()),
    );
    assert!(matches!(e, ImportError::Parse { .. }));
    let mut lines: Vec<&str> = ascii.lines().collect();
    lines.remove(5);
    let e = expect_err("missing vertex", parse_stl(p, lines.join("\n").as_bytes()));
    assert!(matches!(e, ImportError::Parse { line: 6, .. }), "{e}");
    expect_err(
        "cut ascii",
        parse_stl(p, &ascii.as_bytes()[..ascii.len() / 2]),
    );
    expect_err(
        "garbage",
        parse_stl(p, b"solid x\n hello world\nendsolid\n"),
    );
    expect_err("no facets", parse_stl(p, b"solid x\nendsolid x\n"));
    expect_err("binary garbage", parse_stl(p, &[0xffu8; 300]));
    // A binary STL whose header starts with "solid" is still binary.
    let mut solid_header = bin.clone();
    solid_header[..5].copy_from_slice(b"solid");
    assert_eq!(
        parse_stl(p, &solid_header).unwrap().triangles.len(),
        sphere.triangles.len()
    );
    // OBJ.
    let e = expect_err(
        "NaN obj",
        parse_obj(q, obj.replacen("\nv ", "\nv nan ", 1).as_bytes()),
    );
    assert!(matches!(e, ImportError::Parse { line: 2, .. }), "{e}");
    expect_err(
        "bad index",
        parse_obj(q, format!("{obj}f 1 2 99999\n").as_bytes()),
    );
    expect_err("no faces", parse_obj(q, b"v 0 0 0\nv 1 0 0\nv 0 1 0\n"));
    expect_err("garbage obj", parse_obj(q, b"f a b c\n"));
    expect_err("binary obj", parse_obj(q, &[0xc3u8, 0x28, 0x00]));
    // An OBJ surface that parses but is not a volume.
    let flat = parse_obj(q, b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n").unwrap();
    assert!(tetrahedralise(&flat, 0.1).is_err());
    assert!(tetrahedralise(&sphere, 0.0).is_err());
    assert!(tetrahedralise(&sphere, f64::NAN).is_err());
    assert!(tetrahedralise(&sphere, 1e-4).is_err(), "too many cells");
}

/// The boundary of the generated Land ventricle (a thick-walled truncated ellipsoid, endocardium, base
/// ring and epicardium: one closed surface) as an OBJ file, re-meshed.
#[test]
fn land_ventricle_boundary_is_remeshed() {
    let lv = LandEllipsoid::with_element_size(1.0).build().unwrap();
    let (original, _) = mesh_volume(&lv);
    let faces = boundary_faces(&lv).0;
    let mut index = HashMap::new();
    let mut surface = TriSurface::default();
    for f in &faces {
        let t = f.nodes.map(|n| {
            *index.entry(n).or_insert_with(|| {
                surface.vertices.push(lv.nodes()[n as usize]);
                (surface.vertices.len() - 1) as u32
            })
        });
        surface.triangles.push(t);
    }
    let surface = to_f32(surface);
    let path = write_obj(&temp("land_lv.obj"), &surface).unwrap();
    let read = read_surface(&path).unwrap();
    assert_eq!(read.triangles.len(), faces.len());
    let reference = read.enclosed_volume();
    assert!((reference - original).abs() / original < 1e-5);
    let h = 1.0;
    let t0 = Instant::now();
    let (mesh, report) = tetrahedralise(&read, h).unwrap();
    eprintln!(
        "Land LV: {} surface triangles, meshed in {:.2?}",
        faces.len(),
        t0.elapsed()
    );
    check("Land LV", &mesh, &report, original, h);
}

/// A 20k-triangle surface at 2 mm elements: the speed the importer promises.
#[test]
fn twenty_thousand_triangles_in_seconds() {
    let sphere = icosphere(50.0, 5);
    assert_eq!(sphere.triangles.len(), 20480);
    let reference = sphere.enclosed_volume();
    let t0 = Instant::now();
    let (mesh, report) = tetrahedralise(&sphere, 2.0).unwrap();
    let elapsed = t0.elapsed();
    eprintln!(
        "20480 triangles, h 2 mm: {} tets in {elapsed:.2?} ({} threads)",
        mesh.tet_count(),
        rayon::current_num_threads()
    );
    check("big sphere", &mesh, &report, reference, 2.0);
    if !cfg!(debug_assertions) {
        assert!(elapsed.as_secs_f64() < 10.0, "{elapsed:?}");
    }
}
