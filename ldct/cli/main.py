"""The ``ldct`` command: denoise or simulate a user's own CT DICOM series.

    ldct denoise --method gaussian  INPUT_FOLDER OUTPUT_FOLDER
    ldct denoise --method results/dncnn/dncnn_tra/model.pt  INPUT_FOLDER OUTPUT_FOLDER
    ldct simulate --dose 0.25  INPUT_FOLDER OUTPUT_FOLDER

The defaults are the study's (config/schema.yaml); a test keeps them equal. Errors a user can
fix print one ``ldct:`` line and exit with status 1; nothing is written then.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any, Sequence

import jsonschema
import yaml

from ldct.core.errors import LdctInputError
from ldct.core.methods import METHODS, require_extras
from ldct.denoising.scaling import HU_SCALINGS
from ldct.simulation.full_dose_noise import MEASURE
from ldct.simulation.low_dose import MULTIPLIER_READINGS, NOISE_DOMAINS, NOISE_LAWS, NOISE_SPECTRA

#: The study's defaults for what the commands share with it (config/schema.yaml).
DEFAULT_NOISE = {
    "law": "paper", "multiplier_applies_to": "total", "spectrum": "mtf2",
    "full_dose_sigma_hu": 10.0, "full_dose_photons": 10000, "domain": "image",
    "electronic_noise_variance": 0.0,
}
DEFAULT_MTF_LP_PER_MM = {"mtf50": 0.35, "mtf10": 0.60}
DEFAULT_HU_WINDOW = (-1000.0, 1000.0)
#: Methods ``--method`` takes by name: the filters and the study's default original DnCNN (the
#: DnCNN authors' DnCNN-B).
NAMED_METHODS = [name for name, entry in METHODS.items() if entry.kind == "filter"] + ["dncnn"]


def _parameter(text: str) -> tuple[str, Any]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got '{text}'")
    return key, yaml.safe_load(value)


def _sigma(text: str) -> float | str:
    if text == MEASURE:
        return text
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive or '{MEASURE}', got {text}")
    return value


def _folders(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, metavar="INPUT_FOLDER",
                        help="folder of the input series' CT DICOM files (sub-folders are not read)")
    parser.add_argument("output", type=Path, metavar="OUTPUT_FOLDER",
                        help="new folder for the output series; it must not hold files")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--max-memory-mb", type=float, default=None, metavar="MB",
        help="most memory one slice may take (about 128 bytes per pixel); a larger slice stops "
        "the command before anything is written (default: the memory available now)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``ldct`` argument parser with its ``denoise`` and ``simulate`` subcommands."""
    parser = argparse.ArgumentParser(
        prog="ldct", description="Denoise or simulate a CT DICOM series with the ldct study's methods.",
        epilog="examples:\n" + "\n".join(__doc__.split("\n")[2:5]) + "\n\n'ldct COMMAND --help' "
        "describes each command.", formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    denoise = commands.add_parser(
        "denoise", help="denoise every slice of a series",
        description="Denoise every CT slice of INPUT_FOLDER and write the result as a new "
        "DICOM series (DERIVED\\SECONDARY, new UIDs, the input's geometry and encoding).",
    )
    denoise.add_argument(
        "--method", required=True, metavar="NAME_OR_MODEL",
        help=f"a method name ({', '.join(NAMED_METHODS)}; dncnn is the DnCNN authors' blind DnCNN-B, "
        "the study's original DnCNN) or a DnCNN checkpoint file, e.g. "
        "results/dncnn/dncnn_tra/model.pt from the study",
    )
    denoise.add_argument(
        "--param", action="append", type=_parameter, default=[], metavar="KEY=VALUE",
        help="a filter parameter, repeatable, e.g. --param sigma_px=1.5 (defaults: the paper's)",
    )
    denoise.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                         help="where a DnCNN runs (default auto: CUDA when present)")
    denoise.add_argument("--hu-scaling", choices=HU_SCALINGS, default=None,
                         help="how HU map to the network's 0..1 (default: the checkpoint's, else window)")
    denoise.add_argument("--hu-window", nargs=2, type=float, default=DEFAULT_HU_WINDOW,
                         metavar=("LOW_HU", "HIGH_HU"), help="the window scaling's HU for 0 and 1 "
                         "(default %(default)s)")
    _folders(denoise)
    simulate = commands.add_parser(
        "simulate", help="simulate a lower dose of every slice of a series",
        description="Simulate a low-dose version of every full-dose CT slice of INPUT_FOLDER "
        "with the study's MTF-shaped Poisson noise, and write it as a new DICOM series.",
    )
    simulate.add_argument("--dose", type=float, required=True,
                          help="relative dose, 0 < DOSE <= 1 (0.25: a quarter of the full dose)")
    simulate.add_argument("--law", choices=NOISE_LAWS, default=DEFAULT_NOISE["law"],
                          help="noise SD law: paper (x1.3, x2, x10, x20) or quantum (1/sqrt(dose))")
    simulate.add_argument("--multiplier-applies-to", choices=MULTIPLIER_READINGS,
                          default=DEFAULT_NOISE["multiplier_applies_to"],
                          help="whether the SD multiplier sets the total or the added noise")
    simulate.add_argument("--spectrum", choices=NOISE_SPECTRA, default=DEFAULT_NOISE["spectrum"],
                          help="noise power spectrum: mtf2 (MTF^2), fbp (|f| MTF^2) or white")
    simulate.add_argument("--domain", choices=NOISE_DOMAINS, default=DEFAULT_NOISE["domain"],
                          help="add the noise to the image, or insert it in the slice's "
                          "projections and reconstruct it by FBP (default %(default)s)")
    simulate.add_argument("--electronic-noise-variance", type=float,
                          default=DEFAULT_NOISE["electronic_noise_variance"],
                          help="projection domain: electronic noise per ray, photon counts^2 "
                          "(default %(default)s)")
    simulate.add_argument("--full-dose-sigma-hu", type=_sigma, default=DEFAULT_NOISE["full_dose_sigma_hu"],
                          help="noise SD the input carries, HU, or 'measure' (per slice, from its "
                          "soft tissue) (default %(default)s)")
    simulate.add_argument("--photons", type=float, default=DEFAULT_NOISE["full_dose_photons"],
                          help="mean photon count per pixel at full dose (default %(default)s)")
    simulate.add_argument("--mtf50", type=float, default=DEFAULT_MTF_LP_PER_MM["mtf50"],
                          help="the CT unit's MTF50, lp/mm (default %(default)s)")
    simulate.add_argument("--mtf10", type=float, default=DEFAULT_MTF_LP_PER_MM["mtf10"],
                          help="the CT unit's MTF10, lp/mm (default %(default)s)")
    simulate.add_argument("--seed", type=int, default=0, help="noise seed (default %(default)s)")
    _folders(simulate)
    return parser


def _denoise(args: argparse.Namespace):
    from ldct.cli.slice_operations import filter_operation, network_operation
    from ldct.core.window import HuWindow

    model = Path(args.method)
    if args.method in METHODS and METHODS[args.method].kind == "filter":
        require_extras([args.method], "--method")
        parameters = dict(args.param)
        schema = {"type": "object", "additionalProperties": False,
                  "properties": dict(METHODS[args.method].parameters)}
        try:
            jsonschema.validate(parameters, schema)
        except jsonschema.ValidationError as error:
            raise LdctInputError(f"--param of {args.method}: {error.message}") from None
        for name, subschema in schema["properties"].items():
            parameters.setdefault(name, subschema["default"])
        return filter_operation(args.method, parameters)
    if args.param:
        raise LdctInputError("--param: only the filters take parameters")
    if args.method == "dncnn":
        from ldct.denoising.originals import DEFAULT_ORIGINAL as model
    elif not model.is_file():
        raise LdctInputError(
            f"--method: '{args.method}' is neither one of {', '.join(NAMED_METHODS)} nor a file; "
            "fine-tuned networks are given by their checkpoint, e.g. results/dncnn/dncnn_tra/model.pt"
        )
    return network_operation(model, args.hu_scaling, HuWindow(*args.hu_window), args.device)


def _simulate(args: argparse.Namespace):
    from ldct.cli.slice_operations import measured_noise, simulation_operation
    from ldct.io.series import series_files

    if not 0 < args.dose <= 1:
        raise LdctInputError(f"--dose must lie in (0, 1], got {args.dose}")
    noise = dict(
        law=args.law, multiplier_applies_to=args.multiplier_applies_to, spectrum=args.spectrum,
        full_dose_sigma_hu=args.full_dose_sigma_hu, full_dose_photons=args.photons,
        domain=args.domain, electronic_noise_variance=args.electronic_noise_variance,
    )
    files = series_files(args.input, _memory(args))
    sigmas = measured_noise(files) if args.full_dose_sigma_hu == MEASURE else None
    try:
        return simulation_operation(args.dose, noise, args.mtf50, args.mtf10, args.seed, sigmas)
    except ValueError as error:
        raise LdctInputError(str(error)) from None


def _memory(args: argparse.Namespace):
    """The per-slice memory limit: ``--max-memory-mb``, else the memory available now."""
    from ldct.core.devices import available_host_memory_bytes
    from ldct.io.memory import MB, SliceMemoryLimit

    limit = args.max_memory_mb if args.max_memory_mb is not None else available_host_memory_bytes() / MB
    return SliceMemoryLimit(limit, "--max-memory-mb")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ldct`` with ``argv`` (default: the command line); the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="ldct: %(message)s")
    from ldct.io.series import process_series

    try:
        operation, derivation = (_denoise if args.command == "denoise" else _simulate)(args)
        written = process_series(
            args.input, args.output, operation, derivation, progress=not args.quiet, memory=_memory(args)
        )
    except LdctInputError as error:
        print(f"ldct: {error}", file=sys.stderr)
        return 1
    print(f"ldct: {len(written)} slices written to {args.output} ({derivation.summary})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
