"""Training and fine-tuning on a folder of photos (torch, numpy, OpenCV). Never imports Qt.

- :mod:`trainer.data`: photo folders decoded into RAM, random crops, (image, mask) batches;
- :mod:`trainer.masks`: seeded hole masks (brush strokes, object blobs, thin scratches);
- :mod:`trainer.losses`, :mod:`trainer.metrics`: training losses, hole PSNR / SSIM;
- :mod:`trainer.checkpoint`: atomic checkpoints, fp16 safetensors export with a model card;
- :mod:`trainer.loop`: the loop itself (JSON-line progress, validation, stop, resume, DDP);
- :mod:`trainer.scan`: the quick usable-photo count of a folder (``--scan``);
- :mod:`trainer.preview`: ``preview.png``, held-out crops as input / result / truth;
- :mod:`trainer.install`: the result copied into the user's model folder, name guards;
- ``python -m trainer``: the command line that the app runs in a subprocess.
"""
