"""Writes the PolyData test surfaces with VTK 9.7 (pip package `vtk`), as third-party .vtp output.

sphere_r10_appended_zlib.vtp: vtkSphereSource radius 10 mm, 48 x 48 resolution (triangles), appended raw,
    zlib-compressed, the default of vtkXMLPolyDataWriter.
sphere_r10_ascii.vtp: the same surface, ASCII.
cube_quads_binary.vtp: vtkCubeSource 20 mm edge (6 quadrilaterals, so polygons are triangulated by the
    reader), inline binary.
"""
import vtk

def write(source, name, mode):
    source.Update()
    w = vtk.vtkXMLPolyDataWriter()
    w.SetFileName(name)
    w.SetInputData(source.GetOutput())
    if mode == "ascii":
        w.SetDataModeToAscii()
    elif mode == "binary":
        w.SetDataModeToBinary()
    w.Write()

s = vtk.vtkSphereSource()
s.SetRadius(10.0)
s.SetThetaResolution(48)
s.SetPhiResolution(48)
write(s, "sphere_r10_appended_zlib.vtp", "appended")
write(s, "sphere_r10_ascii.vtp", "ascii")
c = vtk.vtkCubeSource()
c.SetXLength(20.0); c.SetYLength(20.0); c.SetZLength(20.0)
write(c, "cube_quads_binary.vtp", "binary")
