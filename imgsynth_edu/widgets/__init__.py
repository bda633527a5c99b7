"""Interactive explorers for the lessons (the only module that imports ipywidgets).

Import from the submodule of the lesson, e.g.
``from imgsynth_edu.widgets.tour import DegradationExplorer``. Every explorer
uses core widgets whose API is the same in ipywidgets 7.x (Colab) and 8.x, and
can draw its static figure without a front end.
"""
