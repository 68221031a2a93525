"""The shared visual kit: every picture the lecture's scenes draw.

One module per kind of picture; everything public is re-exported here, so
`from src.visualization import ComputationNode` works as before.

    style        palette, timing, labels, titles, captions, legend, notes
    formulas     number_label, typeset_row: numbers and formulas as labels
    graph        ComputationNode/Edge/Graph, GradientFlow, seed_gradient
    code_panel   CodePanel: code lines with a value column
    tensors      ValueMatrix (matrices/vectors of engine numbers), CacheBox
    network      NetworkDiagram (a real MLP, neuron by neuron), LayerPipeline
    chain        FunctionChain and the formulas of a chain of one-input functions
    equations    GradientEquation and the pieces of matrix formulas with numbers
    icons        small pictograms of the scenes' ideas (the summary's list)
    plots        moons, decision boundary, loss and accuracy curves, training status
    caption      CaptionStyle and the caption line (LectureScene.set_caption shows it)

Not re-exported (their names are manimlib's, or internal):

    parsed_svg         the kit's Tex and Text: manimlib's, their SVG parse kept on disk
    manimgl_internals  manimgl version and source checks of the speed-ups, one warning

The pictures of one scene, laid out with named constants, are imported by
module (not re-exported here: their names are the scene's own):

    chain_derivatives      scene 1: derivative labels and rows along a chain
    cache_panels           scene 3: parameters vs cached activations, outer products
    layer_gradient_panels  scene 4: a layer's upstream gradient and its two gradients
    training_panels        scene 6: a recorded training run (plot, network, panels)
    takeaways              scene 7: the takeaways list and the closing network

The kit draws; it imports the engine's numbers but nothing of rendering or
publishing (LectureScene is src/rendering/scene.py).
"""

from src.visualization.style import *  # noqa: F401,F403
from src.visualization.formulas import *  # noqa: F401,F403
from src.visualization.graph import *  # noqa: F401,F403
from src.visualization.code_panel import *  # noqa: F401,F403
from src.visualization.tensors import *  # noqa: F401,F403
from src.visualization.network import *  # noqa: F401,F403
from src.visualization.icons import *  # noqa: F401,F403
from src.visualization.chain import *  # noqa: F401,F403
from src.visualization.equations import *  # noqa: F401,F403
from src.visualization.plots import *  # noqa: F401,F403
from src.visualization.caption import *  # noqa: F401,F403
