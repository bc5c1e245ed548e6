"""Re-save the shared ASCII Gmsh meshes as binary MSH 2.2 and 4.1 with real Gmsh (the PyPI `gmsh` wheel).

Run from this folder: `python3 make_binary.py` (needs `pip install gmsh`). Each output is written by
Gmsh's own MSH writer, so the binary reader is tested against third-party bytes, not our own.
"""

import gmsh

# (source ASCII file, output binary file, MSH version). Gmsh 4.15 renumbers the nodes when it re-saves a
# 2.2 file as 2.2, so the 2.2 binary LV is made from the 4.1 file: every output keeps its source's tags.
JOBS = [
    ("land_lv_coarse_v4.msh", "land_lv_coarse_v2_bin.msh", 2.2),
    ("land_lv_coarse_v4.msh", "land_lv_coarse_v4_bin.msh", 4.1),
    ("beam_v4.msh", "beam_v2_bin.msh", 2.2),
    ("sphere_shell_v2.msh", "sphere_shell_v4_bin.msh", 4.1),
]

gmsh.initialize()
gmsh.option.setNumber("General.Terminal", 1)
for source, target, version in JOBS:
    gmsh.clear()
    gmsh.open(source)
    gmsh.option.setNumber("Mesh.Binary", 1)
    gmsh.option.setNumber("Mesh.MshFileVersion", version)
    gmsh.write(target)
    print(f"{source} -> {target} (MSH {version} binary)")
gmsh.finalize()

# Small seeds for tests/fuzz_gmsh.rs: a unit cube meshed coarsely by Gmsh, with a volume group and two
# surface groups, in all four encodings. Small files let random mutations reach every section.
gmsh.initialize()
gmsh.option.setNumber("General.Terminal", 0)
gmsh.model.add("tiny_box")
gmsh.model.occ.addBox(0, 0, 0, 1, 1, 1)
gmsh.model.occ.synchronize()
gmsh.model.addPhysicalGroup(3, [1], 10, "box")
gmsh.model.addPhysicalGroup(2, [1], 1, "x0")
gmsh.model.addPhysicalGroup(2, [5], 2, "z0")
gmsh.option.setNumber("Mesh.MeshSizeMin", 1.0)
gmsh.option.setNumber("Mesh.MeshSizeMax", 1.0)
gmsh.model.mesh.generate(3)
for version, tag in [(2.2, "v2"), (4.1, "v4")]:
    for binary, suffix in [(0, ""), (1, "_bin")]:
        gmsh.option.setNumber("Mesh.Binary", binary)
        gmsh.option.setNumber("Mesh.MshFileVersion", version)
        gmsh.write(f"tiny_box_{tag}{suffix}.msh")
        print(f"tiny_box_{tag}{suffix}.msh (MSH {version}{' binary' if binary else ''})")
# MSH 4.1 with parametric coordinates: nodes on curves and surfaces carry (u) or (u, v) after x y z.
gmsh.option.setNumber("Mesh.SaveParametric", 1)
gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
for binary, suffix in [(0, ""), (1, "_bin")]:
    gmsh.option.setNumber("Mesh.Binary", binary)
    gmsh.write(f"tiny_box_v4_parametric{suffix}.msh")
    print(f"tiny_box_v4_parametric{suffix}.msh (MSH 4.1{' binary' if binary else ''}, parametric)")
gmsh.finalize()
