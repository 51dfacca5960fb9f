"""Before the browser tests: Debian's Chromium (never a downloaded browser) and a font with
Chinese glyphs for readable screenshots. Installs them with apt-get where missing (as root);
otherwise says what to run."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def has_cjk_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    return bool(out.strip())


def apt_install(*packages: str) -> bool:
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return False
    print(f"preflight: apt-get install -y {' '.join(packages)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    done = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *packages], env=env,
                          stdout=subprocess.DEVNULL).returncode == 0
    if not done:  # stale package lists
        subprocess.run(["apt-get", "update"], env=env, stdout=subprocess.DEVNULL)
        done = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *packages], env=env,
                              stdout=subprocess.DEVNULL).returncode == 0
    return done


def main() -> int:
    missing = [p for p, ok in (("chromium", Path(CHROMIUM).exists()), ("fonts-wqy-microhei", has_cjk_font())) if not ok]
    if missing and not apt_install(*missing):
        if not Path(CHROMIUM).exists():
            print(f"preflight: the browser tests need Debian's Chromium at {CHROMIUM}.\n"
                  f"  Install it (as root): apt-get install -y {' '.join(missing)}", file=sys.stderr)
            return 1
        print("preflight: no font with Chinese glyphs: screenshots will show boxes "
              "(apt-get install -y fonts-wqy-microhei)", file=sys.stderr)
    print(f"preflight: Chromium at {CHROMIUM}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
