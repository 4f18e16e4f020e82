"""ldct: simulated low-dose CT, classical and CNN denoising, and image-quality statistics.

The importable science behind the Snakemake workflow of this repository. Images are
float32 arrays of Hounsfield units (HU) with shape (rows, cols); every function takes and
returns numpy arrays, so each step can be used and tested without Snakemake.
"""

__version__ = "0.1.0"
