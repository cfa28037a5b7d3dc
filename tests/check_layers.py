#!/usr/bin/env python3
"""check_layers.py: every #include "..." in the library's and the CLI's sources must point down the layer
arrows (util <- core <- detectors, util <- io, util/core/io <- pipeline, util <- cli, which is a client of the
public API; include/ is open to all). Exit 0 when they all do, 1 with one line per violation. Usage: check_layers.py [SOURCE_ROOT]"""
import os
import re
import sys

# the same arrows as the include paths of CMakeLists.txt (KS_LAYER_*)
ALLOWED = {
    "util": {"util"},
    "core": {"util", "core"},
    "detectors": {"util", "core", "detectors"},
    "io": {"util", "io"},
    "pipeline": {"util", "core", "io", "pipeline"},
    "cli": {"util", "cli"},
}
PUBLIC = "include"
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    owner = {}  # header file name -> the layers holding a header of that name
    for layer in list(ALLOWED) + [PUBLIC]:
        d = os.path.join(root, layer)
        for name in os.listdir(d) if os.path.isdir(d) else []:
            if name.endswith(".h"):
                owner.setdefault(name, []).append(layer)
    bad = []
    for name, layers in sorted(owner.items()):
        if len(layers) > 1:
            bad.append("%s: a header of this name is in %s: names must be unique across layers" %
                       (name, " and ".join(layers)))
    checked = 0
    for layer, allowed in ALLOWED.items():
        d = os.path.join(root, layer)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(d, name)
            text = open(path, encoding="utf-8", errors="replace").read()
            for m in INCLUDE.finditer(text):
                inc = m.group(1)
                line = text.count("\n", 0, m.start()) + 1
                checked += 1
                if "/" in inc:  # a relative path: where does it land?
                    target = os.path.relpath(os.path.normpath(os.path.join(d, inc)), root)
                    to = target.split(os.sep)[0]
                    if to not in ALLOWED and to != PUBLIC:
                        bad.append("%s/%s:%d: includes %s, outside every layer" % (layer, name, line, inc))
                        continue
                else:
                    layers = owner.get(inc)
                    if not layers:
                        continue  # not a project header (generated, or a system header in quotes)
                    to = layers[0]
                if to != PUBLIC and to not in allowed:
                    bad.append("%s/%s:%d: includes %s from %s/: %s may use only %s and include/" % (
                        layer, name, line, inc, to, layer, ", ".join(sorted(allowed))))
    for b in bad:
        print("check_layers: " + b)
    print("check_layers: %d includes checked, %d violation%s" % (checked, len(bad), "" if len(bad) == 1 else "s"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
