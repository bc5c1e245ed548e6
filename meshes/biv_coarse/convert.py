#!/usr/bin/env python3
"""Converts the coarse biventricle of the Arostica et al. 2025 elastodynamics benchmark (benchmark 2) into
one VTK XML UnstructuredGrid that cardiotwin reads: `meshes/biv_coarse.vtu`.

Inputs (from Reidmen/cardiac_benchmark_toolkit, commit e8d47553cfc83eb274eba3e177de33148e7f441c, `data/`,
MIT licence; copied to ../shared/data/benchmarks/biv_coarse/ here):

- `bi_ventricular.h5`: DOLFIN mesh (`/Mesh/mesh/geometry` 11444 x 3 in metres, `/Mesh/mesh/topology`
  45304 x 4) and its facet markers (`/MeshFunction/0/mesh/topology` 98205 x 3 triangles, all facets of the
  mesh, with `/MeshFunction/0/values`: 10 base, 20 RV endocardium, 30 LV endocardium, 40 epicardium,
  0 elsewhere);
- `fiber_directions.h5`: the lifex rule-based fibres as vertex fields on the same vertices in the same order
  (`/VisualisationVector/0` fiber, `/1` sheet, `/2` sheet_normal; see `fiber_directions.xdmf`). They are
  the fields of `fibers_biv.vtk` (f0, s0, n0), which holds the same mesh with its vertices permuted.

Output: points in millimetres (x 1000), the tetrahedra (VTK type 10) followed by the marked triangles
(type 5; marker 0 dropped), cell array `surface` (Int32: the marker on triangles, 0 on tetrahedra), point
arrays `fiber`, `sheet`, `sheet_normal` (Float64, as given), and the tag names in the field-data array
`cardiotwin:surface_names`. Inline binary, zlib-compressed, UInt64 headers: the layout of cardiotwin's own
writer.

Usage: python3 meshes/biv_coarse/convert.py SOURCE_DIR [OUT.vtu]   (needs numpy and h5py)
"""

import base64
import sys
import zlib
from pathlib import Path

import h5py
import numpy as np

BLOCK = 1 << 15
NAMES = {10: "base", 20: "rv_endo", 30: "lv_endo", 40: "epi"}


def compressed(raw: bytes) -> str:
    """VTK's zlib layout: header [nblocks, block size, last block size, compressed sizes...] (UInt64)."""
    blocks = [raw[i : i + BLOCK] for i in range(0, len(raw), BLOCK)] or [b""]
    packed = [zlib.compress(b, 9) for b in blocks]
    last = len(blocks[-1]) if len(raw) % BLOCK else (BLOCK if raw else 0)
    header = np.array([len(blocks), BLOCK, last] + [len(p) for p in packed], dtype="<u8")
    return base64.b64encode(header.tobytes()).decode() + base64.b64encode(b"".join(packed)).decode()


def array(name: str, values: np.ndarray, vtk_type: str, components: int) -> str:
    return (
        f'        <DataArray type="{vtk_type}" Name="{name}" NumberOfComponents="{components}" '
        f'format="binary">{compressed(values.tobytes())}</DataArray>\n'
    )


def boundary_faces(tets: np.ndarray) -> set:
    faces = np.concatenate([tets[:, [1, 2, 3]], tets[:, [0, 2, 3]], tets[:, [0, 1, 3]], tets[:, [0, 1, 2]]])
    faces = np.sort(faces, axis=1)
    uniq, counts = np.unique(faces, axis=0, return_counts=True)
    return set(map(tuple, uniq[counts == 1]))


def main() -> None:
    src = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parent.parent / "biv_coarse.vtu"
    with h5py.File(src / "bi_ventricular.h5", "r") as f:
        points = f["Mesh/mesh/geometry"][:].astype("<f8") * 1000.0
        tets = f["Mesh/mesh/topology"][:].astype("<i8")
        facets = f["MeshFunction/0/mesh/topology"][:].astype("<i8")
        markers = f["MeshFunction/0/values"][:].reshape(-1).astype(np.int64)
    with h5py.File(src / "fiber_directions.h5", "r") as f:
        geometry = f["Mesh/0/mesh/geometry"][:] * 1000.0
        assert np.array_equal(f["Mesh/0/mesh/topology"][:], tets), "fibre mesh topology differs"
        assert np.abs(geometry - points).max() < 1e-9, "fibre mesh vertices differ"
        fields = {
            name: f[f"VisualisationVector/{i}"][:].astype("<f8")
            for i, name in enumerate(["fiber", "sheet", "sheet_normal"])
        }
    assert points.shape == (11444, 3) and tets.shape == (45304, 4), (points.shape, tets.shape)
    keep = markers != 0
    tris, tags = facets[keep], markers[keep]
    assert set(np.unique(tags)) == set(NAMES), np.unique(tags)
    # Every marked triangle is a boundary face, and every boundary face is marked.
    boundary = boundary_faces(tets)
    marked = set(map(tuple, np.sort(tris, axis=1)))
    assert marked == boundary, (len(marked), len(boundary), len(marked - boundary), len(boundary - marked))

    n_tets, n_tris = len(tets), len(tris)
    connectivity = np.concatenate([tets.reshape(-1), tris.reshape(-1)]).astype("<i8")
    offsets = np.concatenate([4 * np.arange(1, n_tets + 1), 4 * n_tets + 3 * np.arange(1, n_tris + 1)])
    types = np.concatenate([np.full(n_tets, 10), np.full(n_tris, 5)]).astype("u1")
    surface = np.concatenate([np.zeros(n_tets, dtype=np.int64), tags]).astype("<i4")
    names = "".join(f"{tag} {name}\n" for tag, name in NAMES.items()).encode()

    x = ['<?xml version="1.0"?>\n']
    x.append(
        '<VTKFile type="UnstructuredGrid" version="1.0" byte_order="LittleEndian" header_type="UInt64" '
        'compressor="vtkZLibDataCompressor">\n  <UnstructuredGrid>\n    <FieldData>\n'
    )
    x.append(
        f'      <DataArray type="UInt8" Name="cardiotwin:surface_names" NumberOfTuples="{len(names)}" '
        f'format="binary">{compressed(names)}</DataArray>\n'
    )
    x.append(f'    </FieldData>\n    <Piece NumberOfPoints="{len(points)}" NumberOfCells="{n_tets + n_tris}">\n')
    x.append("      <PointData>\n")
    for name, values in fields.items():
        x.append(array(name, values, "Float64", 3))
    x.append("      </PointData>\n      <CellData>\n")
    x.append(array("surface", surface, "Int32", 1))
    x.append("      </CellData>\n      <Points>\n")
    x.append(array("Points", points, "Float64", 3))
    x.append("      </Points>\n      <Cells>\n")
    x.append(array("connectivity", connectivity, "Int64", 1))
    x.append(array("offsets", offsets.astype("<i8"), "Int64", 1))
    x.append(array("types", types, "UInt8", 1))
    x.append("      </Cells>\n    </Piece>\n  </UnstructuredGrid>\n</VTKFile>\n")
    out.write_text("".join(x))
    counts = {NAMES[t]: int((tags == t).sum()) for t in NAMES}
    print(f"{out}: {len(points)} points, {n_tets} tetrahedra, {n_tris} triangles {counts}, "
          f"{out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
