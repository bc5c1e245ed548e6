"""Checks that files written by cardiotwin's write_vtu are read by meshio and by VTK's XML reader (the one
ParaView uses). Run after `cargo test --release --test import_vtk`, which leaves them in target/tmp/:

    python3 tests/data/vtk/check_written.py      (needs `pip install meshio vtk`)
"""

import os
import sys

import meshio
import numpy as np
import vtk

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
TMP = os.path.join(ROOT, "target", "tmp")


def check(name, points, tets, tris, cell_arrays, point_arrays):
    path = os.path.join(TMP, name)
    m = meshio.read(path)
    assert len(m.points) == points, name
    assert len(m.cells_dict["tetra"]) == tets, name
    assert len(m.cells_dict.get("triangle", [])) == tris, name
    assert set(cell_arrays) <= set(m.cell_data), (name, m.cell_data.keys())
    assert set(point_arrays) <= set(m.point_data), (name, m.point_data.keys())
    r = vtk.vtkXMLUnstructuredGridReader()
    r.SetFileName(path)
    r.Update()
    g = r.GetOutput()
    assert g.GetNumberOfPoints() == points and g.GetNumberOfCells() == tets + tris, name
    cd = g.GetCellData()
    names = {cd.GetArrayName(i) for i in range(cd.GetNumberOfArrays())}
    assert set(cell_arrays) <= names, (name, names)
    region = np.array([cd.GetArray("region").GetValue(i) for i in range(tets + tris)])
    assert (region[tets:] == 0).all(), name
    print(f"{name}: meshio {meshio.__version__} and VTK {vtk.vtkVersion.GetVTKVersion()} read it")


def main():
    check("rich_mesh.vtu", 5, 2, 3, ["region", "surface", "stress", "volume"], ["fibre"])
    check("rodero_lv.vtu", 5442, 24206, 7437, ["region", "surface", "fiber"], ["uvc_longitudinal"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
