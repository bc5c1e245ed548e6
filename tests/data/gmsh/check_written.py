"""Reads an MSH file written by cardiotwin with Gmsh's and meshio's own readers and prints, for each,
`<reader> <nodes> <tetrahedra> <triangles>`. Used by `tests/import_gmsh.rs` when python3 has `gmsh` and
`meshio`: `python3 check_written.py FILE`.
"""

import sys

import gmsh
import meshio

path = sys.argv[1]

gmsh.initialize()
gmsh.option.setNumber("General.Terminal", 0)
gmsh.open(path)
node_tags, _, _ = gmsh.model.mesh.getNodes()
tets = gmsh.model.mesh.getElementsByType(4)[0]
tris = gmsh.model.mesh.getElementsByType(2)[0]
physical = sorted(gmsh.model.getPhysicalGroups())
gmsh.finalize()
print("gmsh physical groups", physical, file=sys.stderr)

mesh = meshio.read(path)
counts = {}
for block in mesh.cells:
    counts[block.type] = counts.get(block.type, 0) + len(block.data)

print(f"gmsh {len(node_tags)} {len(tets)} {len(tris)}")
print(f"meshio {len(mesh.points)} {counts.get('tetra', 0)} {counts.get('triangle', 0)}")
