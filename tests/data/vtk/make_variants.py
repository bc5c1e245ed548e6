"""Writes the Land et al. LV (land_lv_coarse.vtu, meshio) in every VTK flavour the readers support,
using two independent third-party writers: meshio 5.3 and VTK 9 (the `vtk` wheel).

Run from anywhere: `python3 tests/data/vtk/make_variants.py` (needs `pip install meshio vtk`).
Every variant carries the same mesh plus three added arrays, so that tags and fields are exercised:
  point array  `fibre`          Float64, 3 components: the unit vector from the origin to the node
  cell array   `gmsh:physical`  Int32, the region tag 10 on every tetrahedron
  cell array   `quality`        Float32, 1 component: (tet index % 7) / 8, exactly representable
"""

import os
import tempfile

import meshio
import numpy as np
import vtk

HERE = os.path.dirname(os.path.abspath(__file__))


def tagged_mesh():
    m = meshio.read(os.path.join(HERE, "land_lv_coarse.vtu"))
    pts = m.points
    fibre = pts / np.linalg.norm(pts, axis=1)[:, None]
    ntet = len(m.cells_dict["tetra"])
    return meshio.Mesh(
        pts,
        [("tetra", m.cells_dict["tetra"])],
        point_data={"fibre": fibre},
        cell_data={
            "gmsh:physical": [np.full(ntet, 10, dtype=np.int32)],
            "quality": [((np.arange(ntet) % 7) / 8.0).astype(np.float32)],
        },
    )


def meshio_variants(m):
    meshio.vtu.write(os.path.join(HERE, "land_meshio_ascii.vtu"), m, binary=False)
    meshio.vtu.write(os.path.join(HERE, "land_meshio_binary.vtu"), m, binary=True, compression=None)
    meshio.vtu.write(os.path.join(HERE, "land_meshio_zlib.vtu"), m, binary=True, compression="zlib")
    meshio.vtk.write(os.path.join(HERE, "land_meshio_ascii.vtk"), m, binary=False)
    meshio.vtk.write(os.path.join(HERE, "land_meshio_binary.vtk"), m, binary=True)


def vtk_grid(m):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.vtu")
        meshio.vtu.write(path, m, binary=True, compression=None)
        r = vtk.vtkXMLUnstructuredGridReader()
        r.SetFileName(path)
        r.Update()
        grid = vtk.vtkUnstructuredGrid()
        grid.DeepCopy(r.GetOutput())
        return grid


def vtk_xml(grid, name, mode, encode=False, zlib=False, header64=False, big_endian=False):
    w = vtk.vtkXMLUnstructuredGridWriter()
    w.SetInputData(grid)
    w.SetFileName(os.path.join(HERE, name))
    {"ascii": w.SetDataModeToAscii, "binary": w.SetDataModeToBinary, "appended": w.SetDataModeToAppended}[mode]()
    w.SetEncodeAppendedData(1 if encode else 0)
    if zlib:
        w.SetCompressorTypeToZLib()
    else:
        w.SetCompressorTypeToNone()
    if header64:
        w.SetHeaderTypeToUInt64()
    else:
        w.SetHeaderTypeToUInt32()
    if big_endian:
        w.SetByteOrderToBigEndian()
    else:
        w.SetByteOrderToLittleEndian()
    assert w.Write() == 1, name


def vtk_legacy(grid, name, binary, version):
    w = vtk.vtkUnstructuredGridWriter()
    w.SetInputData(grid)
    w.SetFileName(os.path.join(HERE, name))
    if binary:
        w.SetFileTypeToBinary()
    else:
        w.SetFileTypeToASCII()
    w.SetFileVersion(version)
    assert w.Write() == 1, name


BIV = os.path.join(HERE, "..", "..", "..", "..", "shared", "data", "benchmarks", "biv_coarse", "fibers_biv.vtk")


def biv_subset():
    """The first 3,000 cells of the bi-ventricular benchmark (fibers_biv.vtk, 2.2 MB, legacy binary 4.2 written
    by VTK) with their points and the point arrays f0/s0/n0, written again by VTK as legacy binary 4.2."""
    if not os.path.exists(BIV):
        return
    r = vtk.vtkUnstructuredGridReader()
    r.SetFileName(BIV)
    r.ReadAllFieldsOn()
    r.Update()
    ids = vtk.vtkIdList()
    for i in range(3000):
        ids.InsertNextId(i)
    e = vtk.vtkExtractCells()
    e.SetInputData(r.GetOutput())
    e.SetCellList(ids)
    e.Update()
    out = e.GetOutput()
    out.GetCellData().RemoveArray("vtkOriginalCellIds")
    out.GetPointData().RemoveArray("vtkOriginalPointIds")
    vtk_legacy(out, "biv_fibers_small.vtk", binary=True, version=42)


FUZZ = os.path.join(HERE, "..", "fuzz", "vtk", "seeds")


def fuzz_seeds(grid):
    """Small seeds for tests/fuzz_vtk.rs: the first 24 tetrahedra of the Land LV (with their points and
    arrays) in each XML encoding and both legacy modes, so that mutations hit structure, not bulk data."""
    os.makedirs(FUZZ, exist_ok=True)
    ids = vtk.vtkIdList()
    for i in range(24):
        ids.InsertNextId(i)
    e = vtk.vtkExtractCells()
    e.SetInputData(grid)
    e.SetCellList(ids)
    e.Update()
    small = e.GetOutput()
    small.GetCellData().RemoveArray("vtkOriginalCellIds")
    small.GetPointData().RemoveArray("vtkOriginalPointIds")
    seeds = [
        ("seed_ascii.vtu", "ascii", {}),
        ("seed_binary.vtu", "binary", {}),
        ("seed_binary_zlib.vtu", "binary", {"zlib": True, "header64": True}),
        ("seed_appended_raw.vtu", "appended", {}),
        ("seed_appended_raw_zlib.vtu", "appended", {"zlib": True}),
        ("seed_appended_base64_zlib.vtu", "appended", {"encode": True, "zlib": True}),
    ]
    for name, mode, opts in seeds:
        vtk_xml(small, os.path.join(FUZZ, name), mode, **opts)
    vtk_legacy(small, os.path.join(FUZZ, "seed_ascii.vtk"), binary=False, version=42)
    vtk_legacy(small, os.path.join(FUZZ, "seed_binary.vtk"), binary=True, version=51)


def main():
    m = tagged_mesh()
    meshio_variants(m)
    g = vtk_grid(m)
    vtk_xml(g, "land_vtk_appended_raw.vtu", "appended")
    vtk_xml(g, "land_vtk_appended_raw_zlib64.vtu", "appended", zlib=True, header64=True)
    vtk_xml(g, "land_vtk_appended_base64.vtu", "appended", encode=True)
    vtk_xml(g, "land_vtk_appended_base64_zlib.vtu", "appended", encode=True, zlib=True)
    vtk_xml(g, "land_vtk_binary_zlib_bigendian.vtu", "binary", zlib=True, big_endian=True)
    vtk_xml(g, "land_vtk_appended_raw_bigendian.vtu", "appended", big_endian=True, header64=True)
    vtk_xml(g, "land_vtk_ascii.vtu", "ascii")
    vtk_legacy(g, "land_vtk42_ascii.vtk", binary=False, version=42)
    vtk_legacy(g, "land_vtk42_binary.vtk", binary=True, version=42)
    vtk_legacy(g, "land_vtk51_binary.vtk", binary=True, version=51)
    # Active attributes make VTK write SCALARS (+ LOOKUP_TABLE) and VECTORS sections instead of FIELD.
    a = vtk.vtkUnstructuredGrid()
    a.DeepCopy(g)
    a.GetCellData().SetActiveScalars("quality")
    a.GetPointData().SetActiveVectors("fibre")
    vtk_legacy(a, "land_vtk42_attributes_ascii.vtk", binary=False, version=42)
    vtk_legacy(a, "land_vtk42_attributes_binary.vtk", binary=True, version=42)
    biv_subset()
    fuzz_seeds(g)


if __name__ == "__main__":
    main()
