"""The canvas: zoom/pan view with dirty-rect repaint, mask overlay, and the mask tools."""

from .hint_tool import HintTool
from .shapes import LassoTool, PolygonTool, RectangleTool
from .tools import BrushTool, EraserTool, Tool, mode_for
from .view import TOOLS, CanvasView

__all__ = ["TOOLS", "BrushTool", "CanvasView", "EraserTool", "HintTool", "LassoTool", "PolygonTool",
           "RectangleTool", "Tool", "mode_for"]
