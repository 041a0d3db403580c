"""MAT, a mask-aware transformer for large holes (Li et al. 2022, "MAT: Mask-Aware Transformer
for Large Hole Image Inpainting"), in a small configuration for CPUs. Written from the paper's
description.

Input and output are those of :class:`models.nets.inpaint_net.InpaintNet`: an RGB image in
[0, 1] and a hole mask B x 1 x H x W (1 = fill) in, the raw B x 3 x H x W prediction for every
pixel out (callers composite it with the known pixels). Any size works: inputs are
reflect-padded to a multiple of :attr:`MAT.stride` (8) and the output is cropped back.

Layout:

1. **Pyramid fill** (:func:`models.nets.blocks.pyramid_fill`): a parameter-free smooth guess
   in the hole. The network sees the guess and the mask and predicts a residual that is added
   to it (learns faster than predicting colours from scratch; the paper has no such guess).
2. **Convolutional head** down to 1/8 resolution: pixel-unshuffle to 1/2, stride-2
   convolutions to 1/4 and 1/8, one more convolution there. Each 1/8 position is a token.
3. **Mask-aware transformer blocks** at 1/8 (:class:`MaskAwareBlock`). Attention is computed
   in windows of ``window`` x ``window`` tokens (every other block shifted by half a window,
   as in the Swin transformer), and a token attends **only to the tokens of its window that
   are valid** (the paper's dynamic mask: an additive -inf-like attention bias on invalid
   keys). A window without any valid token produces no attention output (zero, not NaN), so
   its tokens pass through the block unchanged but for the MLP. Initially a token is valid
   when its 8 x 8 pixel cell holds at least one known pixel. **Mask update**: after each block,
   every token of a window that held a valid token becomes valid (the paper's rule), so a
   large hole is filled from its border inwards, block by block, with alternate window grids
   carrying information across window borders.
4. **Convolutional decoder** back to full resolution with additive skips from the head
   (:func:`models.nets.blocks.unet_trunk`) and a pixel-shuffle output layer.

The block is the paper's "adjusted transformer block": no layer normalization (in a large hole
most tokens carry no information, and normalizing them amplifies that noise), and fusion by
concatenation instead of a residual sum after attention: ``y = FC([x, Attn(x)])``, then
``y + MLP(y)``. The fusion layer starts as the identity on ``x`` and the MLP's residual branch
starts small, so the stack trains from the first step. Each block has a learned relative
position bias per head (Swin), since attention alone cannot tell positions apart.

Left out (CPU size): the paper's multi-scale transformer body (stages at 1/16 and 1/32), its
style manipulation module (diverse outputs from a noise code) and its GAN / perceptual losses;
the trainer trains it with the default inpainting loss (:mod:`trainer.losses`).

The attention's masked softmax runs in float32 also under bfloat16 autocast, so a masked
window cannot overflow or produce NaN.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from models.nets.blocks import act, down_path, pyramid_fill, unet_trunk, up_path

# the model card's "architecture" and the trainer's --arch
ARCHITECTURE = "mat"

CONFIG: dict = {
    "widths": [32, 64, 128],  # channels at 1/2, 1/4, 1/8 resolution (the last: token width)
    "blocks": 8,  # mask-aware transformer blocks at 1/8
    "heads": 4,  # attention heads (the token width must divide by it)
    "window": 8,  # attention window side, in tokens (8 tokens = 64 pixels)
    "shift": True,  # every other block's windows shifted by half a window
    "mlp_ratio": 2.0,  # hidden width of the blocks' MLP, in token widths
    "init_scale": 0.1,  # initial scale of the attention part of the fusion and of the MLP
    "head_scale": 0.1,  # initial scale of the output layer's weights
}

# Attention bias of an invalid key. Finite (a window with no valid key must not give NaN) and
# used only in float32, where it is far below any real score.
_MASKED = -1e9


class MaskedWindowAttention(nn.Module):
    """Multi-head self-attention within windows, over the valid tokens of each window only.

    Returns the heads' concatenated outputs; their output projection is the attention half of
    the block's fusion layer (two linear maps in a row would be one)."""

    def __init__(self, dim: int, heads: int, window: int):
        super().__init__()
        if dim % heads:
            raise ValueError(f"token width {dim} does not divide into {heads} heads")
        self.heads = heads
        self.window = window
        self.qkv = nn.Linear(dim, 3 * dim)
        # relative position bias (Swin): one value per head and offset between two tokens
        self.rel_bias = nn.Parameter(torch.zeros(heads, (2 * window - 1) ** 2))
        ys, xs = torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
        coords = torch.stack([ys.flatten(), xs.flatten()])  # 2 x T
        rel = coords[:, :, None] - coords[:, None, :] + (window - 1)  # 2 x T x T
        self.register_buffer("rel_index", rel[0] * (2 * window - 1) + rel[1], persistent=False)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """x: N x T x C tokens of N windows; valid: N x T bool. Returns N x T x C; rows of a
        window without a valid token are zero."""
        n, t, c = x.shape
        qkv = self.qkv(x).reshape(n, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        # The masked softmax in float32 (the whole attention: it is a small share of the
        # work), also under bfloat16 autocast: no overflow, no NaN. The fused kernel is 3x
        # faster on a CPU than the matmul-softmax-matmul chain.
        with torch.autocast(x.device.type, enabled=False):
            q, k, v = qkv.float().unbind(0)  # N x heads x T x d
            keys = torch.zeros(valid.shape, dtype=torch.float32, device=x.device)
            keys = keys.masked_fill(~valid, _MASKED)
            bias = self.rel_bias.float()[:, self.rel_index] + keys[:, None, None, :]
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
            # a window without a valid key averaged hole tokens: drop that
            out = out * valid.any(dim=-1).to(out.dtype)[:, None, None, None]
        return out.transpose(1, 2).reshape(n, t, c).to(x.dtype)


def _windows(x: torch.Tensor, w: int) -> torch.Tensor:
    """B x H x W x ... (H, W multiples of w) -> (B * nH * nW) x (w * w) x ..."""
    b, h, wd = x.shape[:3]
    rest = x.shape[3:]
    x = x.reshape(b, h // w, w, wd // w, w, *rest)
    x = x.permute(0, 1, 3, 2, 4, *range(5, 5 + len(rest)))
    return x.reshape(b * (h // w) * (wd // w), w * w, *rest)


def _unwindows(x: torch.Tensor, w: int, b: int, h: int, wd: int) -> torch.Tensor:
    """The inverse of :func:`_windows`."""
    rest = x.shape[2:]
    x = x.reshape(b, h // w, wd // w, w, w, *rest)
    x = x.permute(0, 1, 3, 2, 4, *range(5, 5 + len(rest)))
    return x.reshape(b, h, wd, *rest)


class MaskAwareBlock(nn.Module):
    """The adjusted transformer block with the mask update (see the module docstring).

    ``forward(x, valid)``: x B x H x W x C tokens, valid B x H x W bool; returns the new
    tokens and the updated mask. The token map is padded to whole windows with invalid tokens
    (after a shift of ``shift`` tokens down and right), so shifted windows never wrap around.
    """

    def __init__(self, dim: int, heads: int, window: int, shift: int, mlp_ratio: float,
                 init_scale: float):
        super().__init__()
        self.window = window
        self.shift = shift
        self.attn = MaskedWindowAttention(dim, heads, window)
        self.fuse = nn.Linear(2 * dim, dim)
        hidden = max(1, int(round(dim * mlp_ratio)))
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))
        with torch.no_grad():  # start as x + small terms: deep stacks train from step one
            self.fuse.weight.zero_()
            self.fuse.weight[:, :dim].copy_(torch.eye(dim))
            nn.init.normal_(self.fuse.weight[:, dim:], std=init_scale * dim ** -0.5)
            self.fuse.bias.zero_()
            self.mlp[-1].weight.mul_(init_scale)
            self.mlp[-1].bias.zero_()

    def pad(self, x: torch.Tensor, valid: torch.Tensor):
        """Tokens and mask shifted by ``shift`` and padded to whole windows (padding invalid)."""
        h, w = valid.shape[-2:]
        s, win = self.shift, self.window
        ph, pw = (-(h + s)) % win, (-(w + s)) % win
        if s or ph or pw:
            x = F.pad(x, (0, 0, s, pw, s, ph))
            valid = F.pad(valid, (s, pw, s, ph), value=False)
        return x, valid

    def forward(self, x: torch.Tensor, valid: torch.Tensor):
        b, h, w, c = x.shape
        s, win = self.shift, self.window
        xp, vp = self.pad(x, valid)
        hp, wp = vp.shape[-2:]
        xw, vw = _windows(xp, win), _windows(vp, win)  # N x T x C, N x T
        # all of the block in the windows' layout (the per-token layers do not care): one
        # reordering of the tokens in and one out
        y = self.fuse(torch.cat([xw, self.attn(xw, vw)], dim=-1))
        y = y + self.mlp(y)
        y = _unwindows(y, win, b, hp, wp)[:, s:s + h, s:s + w]
        return y, self._grow(vw, b, hp, wp, h, w)

    def _grow(self, vw: torch.Tensor, b: int, hp: int, wp: int, h: int, w: int):
        """The mask update: a window that held a valid token makes all its tokens valid."""
        s = self.shift
        grown = vw.any(dim=-1, keepdim=True).expand_as(vw)
        return _unwindows(grown, self.window, b, hp, wp)[:, s:s + h, s:s + w]

    def update_mask(self, valid: torch.Tensor) -> torch.Tensor:
        """The token mask after this block, for a B x H x W bool mask before it."""
        b, h, w = valid.shape
        _, vp = self.pad(valid[..., None], valid)
        return self._grow(_windows(vp, self.window), b, *vp.shape[-2:], h, w)


class MAT(nn.Module):
    def __init__(self, config: dict | None = None):
        super().__init__()
        cfg = {**CONFIG, **(config or {})}
        self.config = cfg
        widths = list(cfg["widths"])
        if len(widths) != 3:
            raise ValueError("MAT's head has three levels (1/2, 1/4, 1/8): give 3 widths")
        self.stride = 2 ** len(widths)  # 8: one token per 8 x 8 pixels
        # the reflect padding of the 1/8 convolution needs 2 tokens a side
        self.min_size = 2 * self.stride
        dim = widths[-1]
        self.stem, self.downs = down_path(widths)
        self.bottom = nn.Sequential(
            nn.Conv2d(dim, dim, 3, padding=1, padding_mode="reflect"), act()
        )
        win = int(cfg["window"])
        self.blocks = nn.ModuleList(
            MaskAwareBlock(dim, int(cfg["heads"]), win,
                           win // 2 if cfg["shift"] and i % 2 else 0,
                           float(cfg["mlp_ratio"]), float(cfg["init_scale"]))
            for i in range(int(cfg["blocks"]))
        )
        self.reduce, self.ups, self.head = up_path(widths, cfg["head_scale"])
        self.act = act()

    # ------------------------------------------------------------------ pieces
    def _prepare(self, image: torch.Tensor, mask: torch.Tensor):
        """Padded image, binary hole mask, and the pyramid guess with the known pixels."""
        h, w = image.shape[-2:]
        ph = max((-h) % self.stride, self.min_size - h)
        pw = max((-w) % self.stride, self.min_size - w)
        if ph or pw:
            # reflect needs the pad smaller than the side; replicate covers tiny inputs
            mode = "reflect" if ph < h and pw < w else "replicate"
            image = F.pad(image, (0, pw, 0, ph), mode=mode)
            mask = F.pad(mask, (0, pw, 0, ph), mode=mode)
        mask = (mask > 0.5).to(image.dtype)
        valid = 1.0 - mask
        guess = image * valid + pyramid_fill(image, valid) * mask
        return mask, guess

    def token_mask(self, mask: torch.Tensor) -> torch.Tensor:
        """B x 1 x H x W binary hole mask (padded) -> B x H/8 x W/8 bool: a token is valid when
        its 8 x 8 cell holds a known pixel."""
        known = F.max_pool2d(1.0 - mask.float(), self.stride)
        return known[:, 0] > 0.5

    def transform(self, feats: torch.Tensor, valid: torch.Tensor):
        """The transformer blocks on B x C x h x w features; returns the features and the
        token mask before and after each block (``blocks + 1`` masks)."""
        x = feats.permute(0, 2, 3, 1)
        masks = [valid]
        for block in self.blocks:
            x, valid = block(x, valid)
            masks.append(valid)
        return x.permute(0, 3, 1, 2), masks

    def token_masks(self, image: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
        """The token masks (B x h x w bool) that a forward pass goes through, for inspection."""
        mask, _ = self._prepare(image, mask)
        valid = self.token_mask(mask)
        masks = [valid]
        for block in self.blocks:
            valid = block.update_mask(valid)
            masks.append(valid)
        return masks

    # ------------------------------------------------------------------ forward
    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """image B x 3 x H x W in [0, 1], mask B x 1 x H x W (1 = hole) -> B x 3 x H x W."""
        h, w = image.shape[-2:]
        mask, guess = self._prepare(image, mask)
        valid = self.token_mask(mask)
        x = torch.cat([guess * 2.0 - 1.0, mask], dim=1)
        x = self.stem(F.pixel_unshuffle(x, 2))
        x = unet_trunk(x, self.downs, lambda f: self.transform(f, valid)[0], self.reduce,
                       self.ups, self.act, bottom=self.bottom)
        out = guess + F.pixel_shuffle(self.head(x), 2)
        return out[..., :h, :w]


def build(config: dict | None = None) -> MAT:
    """The network for ``config`` (missing keys take :data:`CONFIG`'s values)."""
    return MAT(config)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
