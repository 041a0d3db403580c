"""The canvas: zoom/pan view with dirty-rect repaint, mask overlay, and the mask tools (brush,
eraser, lasso, polygon, rectangle, object selection, magic wand) and the colour hint tool."""

from .hint_tool import HintTool
from .select_tools import MagicWandTool, ObjectSelectTool
from .shapes import LassoTool, PolygonTool, RectangleTool
from .tools import BrushTool, EraserTool, Tool, mode_for
from .view import TOOLS, CanvasView

__all__ = ["TOOLS", "BrushTool", "CanvasView", "EraserTool", "HintTool", "LassoTool",
           "MagicWandTool", "ObjectSelectTool", "PolygonTool", "RectangleTool", "Tool", "mode_for"]
