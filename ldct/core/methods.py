"""The denoising methods ldct knows: one registry, read by the config schema, the rules, the
denoise step, the figures, the statistics and the claims check.

A method is one of three kinds:

* ``none``: the low-dose image itself, the "before denoising" row of every table;
* ``filter``: a function ``f(image_hu, **parameters) -> image_hu`` named by ``function``
  (``"module:attribute"``, imported only when a denoise job runs), with keyword parameters
  whose JSON Schema is ``parameters`` (their defaults fill config ``denoise.parameters``); a
  filter with ``noise_sd`` also takes keyword ``noise_sd_hu``, the image's noise SD (HU) where it
  is known (in the study: from the simulation; None where it is not, e.g. a user's series), and
  one with ``noise_psd`` keyword ``noise_psd``, the noise's power spectrum in the ``bm3d``
  package's convention (:func:`ldct.denoising.bm3d.bm3d_psd`; None where it is not known);
* ``cnn``: a DnCNN whose weights lie in ``results/dncnn/<model>/model.pt``; ``finetune`` says
  which layers transfer learning updates (``last`` or ``all``), or None for the original
  network as pretrained.

Adding a method is adding an entry here (and its function): the config accepts it, the DAG runs
it, and the figures, statistics and claims check show it. A method whose function needs an
optional extra (``extra``: the extra's name, also the module it imports) is not among the
default methods, and a study that lists it without the extra installed stops before running.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Callable, Mapping

#: Which layers a fine-tuned method updates, and how figures describe that.
FINETUNE_LAYERS = {"last": "last layer fine-tuned", "all": "all layers fine-tuned"}
KINDS = ("none", "filter", "cnn")


@dataclass(frozen=True)
class Method:
    """One denoising method of the registry (see the module docstring for the fields)."""

    name: str
    kind: str
    label: str
    description: str
    function: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    model: str | None = None
    finetune: str | None = None
    in_paper: bool = False
    noise_sd: bool = False
    noise_psd: bool = False
    extra: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"method '{self.name}': kind must be one of {KINDS}")
        if (self.kind == "cnn") != (self.model is not None):
            raise ValueError(f"method '{self.name}': a model folder exactly when kind is cnn")
        if self.kind != "cnn" and self.function is None:
            raise ValueError(f"method '{self.name}': kind {self.kind} needs a function")
        if self.finetune is not None and self.finetune not in FINETUNE_LAYERS:
            raise ValueError(f"method '{self.name}': finetune must be one of {list(FINETUNE_LAYERS)}")

    def resolve_function(self) -> Callable:
        """The image function of a ``none`` or ``filter`` method, imported now."""
        module, _, attribute = self.function.partition(":")
        return getattr(import_module(module), attribute)

    @property
    def training_label(self) -> str:
        """How the training-curves figure names the run that made this CNN's weights."""
        if self.finetune is None:
            return f"{self.label}, pretraining (natural images)"
        return f"{self.label}, {FINETUNE_LAYERS[self.finetune]}"


def _size_px(minimum: int, default: int) -> dict[str, Any]:
    return {"description": "Neighbourhood side, pixels.", "type": "integer", "minimum": minimum,
            "default": default}


#: Every method, in the order of tables and figures (the paper's settings as defaults).
REGISTRY: tuple[Method, ...] = (
    Method("noisy", "none", "Low dose", "the simulated low-dose image, not denoised",
           function="ldct.denoising.filters:no_denoising"),
    Method("median", "filter", "Median", "median filter", function="ldct.denoising.filters:median",
           parameters={"size_px": _size_px(1, 3)}, in_paper=True),
    Method("gaussian", "filter", "Gaussian", "Gaussian filter",
           function="ldct.denoising.filters:gaussian",
           parameters={
               "sigma_px": {"description": "Standard deviation, pixels.", "type": "number",
                         "exclusiveMinimum": 0, "default": 1.0},
               "truncate_sd": {"description": "Kernel radius in standard deviations.",
                            "type": "number", "exclusiveMinimum": 0, "default": 4.0},
           }, in_paper=True),
    Method("wiener", "filter", "Wiener", "adaptive Wiener filter (MATLAB wiener2)",
           function="ldct.denoising.filters:wiener", parameters={"size_px": _size_px(2, 5)},
           in_paper=True),
    Method("nl_means", "filter", "NL-means", "non-local means (scikit-image), told the noise SD",
           function="ldct.denoising.filters:nl_means", noise_sd=True,
           parameters={
               # Chosen on training slices only (benchmarks/nl_means_settings.md).
               "patch_size_px": {"description": "Side of the compared patches, pixels.",
                                 "type": "integer", "minimum": 1, "default": 7},
               "patch_distance_px": {"description": "Search radius, pixels.", "type": "integer",
                                     "minimum": 1, "default": 11},
               "h_per_sigma": {"description": "Filtering strength h over the noise SD.",
                               "type": "number", "exclusiveMinimum": 0, "default": 0.6},
               "noise_sd": {"description": "known: the simulation's noise SD of each image (the "
                            "full-dose SD and the added SD); estimate: skimage's estimate_sigma.",
                            "enum": ["known", "estimate"], "default": "known"},
           }),
    Method("bm3d", "filter", "BM3D", "BM3D for correlated noise, told the noise's spectrum",
           function="ldct.denoising.bm3d:bm3d_correlated", noise_psd=True, extra="bm3d",
           parameters={
               "profile": {"description": "The bm3d package's parameter profile.",
                           "enum": ["np", "refilter", "vn", "high", "vn_old", "deb"], "default": "np"},
           }),
    Method("dncnn", "cnn", "DnCNN", "the original DnCNN, pretrained on natural images",
           model="pretrained", in_paper=True),
    Method("dncnn_tra", "cnn", "DnCNN_Tra", "DnCNN transfer-learned on CT, last layer only",
           model="dncnn_tra", finetune="last", in_paper=True),
    Method("dncnn_full", "cnn", "DnCNN_full", "DnCNN transfer-learned on CT, every layer",
           model="dncnn_full", finetune="all"),
)


def registered(registry: tuple[Method, ...] = REGISTRY) -> dict[str, Method]:
    """Method name -> method, in registry order; names must be unique."""
    methods = {method.name: method for method in registry}
    if len(methods) != len(registry):
        raise ValueError("method names in the registry are not unique")
    return methods


METHODS: Mapping[str, Method] = registered()


def default_methods() -> list[str]:
    """The methods a study runs when it lists none: every method that needs no optional extra."""
    return [name for name, entry in METHODS.items() if entry.extra is None]


def require_extras(names: list[str], where: str) -> None:
    """Stop with LdctInputError naming ``where`` (a config key or CLI option) when one of
    ``names`` needs an optional extra that is not installed."""
    from importlib.util import find_spec

    from ldct.core.errors import LdctInputError

    for name in names:
        extra = METHODS[name].extra
        if extra is not None and find_spec(extra) is None:
            raise LdctInputError(f"{where}: {name} needs the optional extra '{extra}': pip install 'ldct[{extra}]'")


def method(name: str) -> Method:
    """The registered method ``name``; ValueError naming the known ones otherwise."""
    if name not in METHODS:
        raise ValueError(f"unknown denoising method '{name}', expected one of {list(METHODS)}")
    return METHODS[name]


def method_label(name: str) -> str:
    """The display name of a method (the paper's where it has one); unknown names stay."""
    return METHODS[name].label if name in METHODS else name


def finetuned_among(names: list[str]) -> list[str]:
    """Those of ``names`` whose weights come from fine-tuning the original DnCNN, in order."""
    return [name for name in names if METHODS[name].finetune is not None]


def paper_filters() -> list[str]:
    """The filters the paper compares with DnCNN, in registry order."""
    return [m.name for m in METHODS.values() if m.kind == "filter" and m.in_paper]


def parameters_schema() -> dict[str, Any]:
    """JSON Schema of config ``denoise.parameters``: one object per method, defaults filled."""
    return {
        "description": "Keyword parameters of each method, as its registry entry declares them.",
        "type": "object",
        "additionalProperties": False,
        "default": {},
        "properties": {
            m.name: {
                "type": "object",
                "additionalProperties": False,
                "default": {},
                "properties": dict(m.parameters),
            }
            for m in METHODS.values()
        },
    }
