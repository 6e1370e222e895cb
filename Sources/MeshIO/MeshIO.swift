import Mesh
