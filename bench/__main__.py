"""Run every benchmark module in bench/ (or the ones named on the command line)."""
import eventlet

eventlet.monkey_patch()

import importlib  # noqa: E402
import pkgutil  # noqa: E402
import sys  # noqa: E402

import bench  # noqa: E402


def main(argv):
    names = argv or sorted(m.name.removesuffix("_bench") for m in pkgutil.iter_modules(bench.__path__)
                           if m.name.endswith("_bench"))
    for name in names:
        module = importlib.import_module(f"bench.{name}_bench")
        print(f"== bench {name}")
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
