"""The report's bar chart: requests/s per server, one panel per scenario (each with its own
scale, as pipelined runs answer ten times more than the others), median bar and a min-max
line, drawn by gnuplot (Debian package gnuplot-nox) into a PNG.
"""
import math
import os
import shutil
import subprocess
import tempfile

COLORS = {"zokio": "0xE6550D", "c-epoll": "0x969696"}  # Zokio stands out, the ceiling greys
PEER_COLOR = "0x3182BD"


def draw(section, table, png_path, title):
    """Writes png_path; returns None, or why no chart was drawn."""
    if shutil.which("gnuplot") is None:
        return "gnuplot not found (apt-get install gnuplot-nox): no chart"
    scenarios = [sc for sc in section["scenarios"]
                 if any(c and c.get("rps") for c in table[sc["id"]].values())]
    if not scenarios:
        return "no successful run: no chart"
    cols = min(3, len(scenarios))
    rows = math.ceil(len(scenarios) / cols)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "rps.dat")
        with open(data, "w") as f:
            for sc in scenarios:  # one block per scenario, selected with `index`
                for server in section["servers"]:
                    c = table[sc["id"]][server]
                    if c and c.get("rps"):
                        color = int(COLORS.get(server, PEER_COLOR), 16)
                        f.write('"%s" %.3f %.3f %.3f %d\n' % (
                            server, c["rps"] / 1e3, c["rps_min"] / 1e3, c["rps_max"] / 1e3, color))
                f.write("\n\n")
        script = [
            "set terminal pngcairo size %d,%d font 'sans,10'" % (430 * cols, 330 * rows + 40),
            "set output '%s'" % png_path,
            "set multiplot layout %d,%d title '%s' font 'sans,12'" % (rows, cols, title),
            "set style fill solid 0.85 border -1",
            "set boxwidth 0.7",
            "set grid ytics",
            "set xtics rotate by -35 nomirror",
            "set format y '%g'",
            "set ylabel 'thousand requests/s'",
            "unset key",
        ]
        for i, sc in enumerate(scenarios):
            # gnuplot's autoscale ignores the min-max lines: leave room for the tallest.
            top = max(c["rps_max"] for c in table[sc["id"]].values() if c and c.get("rps"))
            script += [
                "set yrange [0:%.3f]" % (top / 1e3 * 1.08),
                "set title '%s'" % sc["short"].replace("'", ""),
                "plot '%s' index %d using 0:2:5:xtic(1) with boxes lc rgb variable, "
                "'' index %d using 0:3:(0):($4-$3) with vectors nohead lc rgb 'black' lw 1.5"
                % (data, i, i),
            ]
        script.append("unset multiplot")
        proc = subprocess.run(["gnuplot"], input="\n".join(script), text=True,
                              capture_output=True)
        if proc.returncode != 0:
            return "gnuplot failed: %s" % proc.stderr.strip()[-300:]
    return None
