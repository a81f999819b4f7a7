"""Checks what ``sam build`` put into the layer: the package, every pinned dependency, for arm64.

Lambda runs the layer on arm64, and this machine may not, so the check has two halves:
1. the built layer (``.aws-sam/build/PushgateLayer/python``) holds every pinned requirement at its
   pinned version, the whole ``pushgate`` package, and only aarch64 native code;
2. the same layer recipe, built for the host platform, imports every ``pushgate`` module with
   nothing but the layer and the standard library on ``sys.path``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LAYER_SOURCE = PROJECT_ROOT / "layers" / "pushgate"
_ELF_MACHINE_AARCH64 = 0xB7

_IMPORT_ALL = """
import importlib, pkgutil, sys
sys.path.insert(0, sys.argv[1])
import pushgate
names = [m.name for m in pkgutil.walk_packages(pushgate.__path__, "pushgate.")]
for name in names:
    importlib.import_module(name)
print(f"imported pushgate and {len(names)} modules from the layer alone")
"""


def _pinned_requirements() -> dict[str, str]:
    pins = {}
    for line in (LAYER_SOURCE / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            pins[re.sub(r"[-_.]+", "_", match.group(1)).lower()] = match.group(2)
    return pins


def _installed_distributions(layer: Path) -> dict[str, str]:
    found = {}
    for dist_info in layer.glob("*.dist-info"):
        name, _, version = dist_info.name.removesuffix(".dist-info").rpartition("-")
        found[re.sub(r"[-_.]+", "_", name).lower()] = version
    return found


def _elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    return int.from_bytes(header[18:20], "little")


def check_built_layer(layer: Path) -> list[str]:
    """Problems with a built layer folder (empty when it is right)."""
    problems = []
    installed = _installed_distributions(layer)
    for name, version in _pinned_requirements().items():
        if installed.get(name) != version:
            problems.append(f"{name}=={version} missing (found {installed.get(name)})")
    source_modules = {p.relative_to(LAYER_SOURCE / "src") for p in (LAYER_SOURCE / "src" / "pushgate").rglob("*.py")}
    built_modules = {p.relative_to(layer) for p in (layer / "pushgate").rglob("*.py")}
    problems += [f"module {m} missing from the layer" for m in sorted(source_modules - built_modules)]
    native = list(layer.rglob("*.so"))
    problems += [f"{so.relative_to(layer)} is not aarch64" for so in native if _elf_machine(so) != _ELF_MACHINE_AARCH64]
    if not native:
        problems.append("no native extensions found: pydantic-core must be in the layer")
    return problems


def check_host_import() -> str:
    """Builds the layer recipe for this machine and imports every module from it alone."""
    architecture = subprocess.run(["uname", "-m"], capture_output=True, text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            [
                "make",
                "--no-print-directory",
                "-C",
                str(LAYER_SOURCE),
                "build-PushgateLayer",
                f"ARTIFACTS_DIR={scratch}",
                f"LAYER_ARCH={architecture}",
                f"PYTHON={sys.executable}",
            ],
            check=True,
        )
        result = subprocess.run(
            [sys.executable, "-S", "-c", _IMPORT_ALL, f"{scratch}/python"], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise SystemExit(f"layer import failed:\n{result.stderr}")
        return result.stdout.strip()


def main() -> int:
    """Runs both halves and reports."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("layer", type=Path, nargs="?", default=PROJECT_ROOT / ".aws-sam/build/PushgateLayer/python")
    layer = parser.parse_args().layer
    problems = check_built_layer(layer)
    if problems:
        print("built layer is incomplete:\n  " + "\n  ".join(problems))
        return 1
    print(f"built layer ok: pushgate, {len(_pinned_requirements())} pinned dependencies, aarch64 native code")
    print(check_host_import())
    return 0


if __name__ == "__main__":
    sys.exit(main())
