"""The trainer's user-facing error, in a module without torch so that quick checks (folder
scan, names, model folders) can raise it before the heavy imports."""


class TrainError(RuntimeError):
    """A problem with the input (folder, photos, checkpoint, name) that the user can fix."""
