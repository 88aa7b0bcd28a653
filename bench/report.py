#!/usr/bin/env python3
"""Turns bench/run.sh's raw measurements (JSON lines) into PREFIX.json (every value, medians, ratios,
targets), PREFIX.md (the tables) and PREFIX.png (a gnuplot chart).

  report.py RAW.jsonl PREFIX
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile


def load(path):
    meta, notes, records = {}, [], []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            item = json.loads(line)
            if "meta" in item:
                meta.update(item["meta"])
            elif "meta_end" in item:
                meta.update(item["meta_end"])
            elif "note" in item:
                notes.append(item["note"])
            else:
                records.append(item)
    return meta, notes, records


def aggregate(records):
    """{phase: {contender: {key: {"median", "values", "unit"}}}}"""
    out = {}
    for r in records:
        if r["value"] is None:
            continue
        slot = out.setdefault(r["phase"], {}).setdefault(r["contender"], {}).setdefault(
            r["key"], {"values": [], "unit": r["unit"]})
        slot["values"].append(r["value"])
    for phase in out.values():
        for contender in phase.values():
            for slot in contender.values():
                slot["median"] = statistics.median(slot["values"])
    return out


def get(agg, phase, contender, key):
    try:
        return agg[phase][contender][key]["median"]
    except KeyError:
        return None


def dns_ours(agg, phase):
    """The DNS contender that stands for us: the real agent when it ran, else dns-test-server."""
    return "agent" if "agent" in agg.get(phase, {}) else "ours-test"


# Each target: (label, our value, contender value, contender name, goal, floor, higher_is_better, unit)
def targets(agg):
    rows = []

    def ratio_row(label, phase, key, ours, them, goal, floor, higher=True, unit=""):
        a, b = get(agg, phase, ours, key), get(agg, phase, them, key)
        rows.append(dict(label=label, ours=a, ours_name=ours, contender=b, contender_name=them,
                         goal=goal, floor=floor, higher_is_better=higher, unit=unit, kind="ratio"))

    def absolute_row(label, value, ours_name, limit, unit, contender=None, contender_name=""):
        rows.append(dict(label=label, ours=value, ours_name=ours_name, contender=contender,
                         contender_name=contender_name, goal=limit, floor=None, higher_is_better=False,
                         unit=unit, kind="absolute"))

    for ours in [c for c in ("agent", "ours-test") if c in agg.get("alias", {})]:
        tag = " (sandboxed worker)" if ours == "agent" else " (DNSServer unsandboxed)"
        ratio_row("alias answers: QPS vs unbound" + tag, "alias", "qps", ours, "unbound", 1.0, 0.7, unit="q/s")
        ratio_row("alias answers: CPU/query vs unbound" + tag, "alias", "cpu_us_per_query", ours, "unbound",
                  1.0, None, higher=False, unit="µs")
        v = get(agg, "alias", ours, "cpu_us_per_query")
        absolute_row("alias answers: CPU/query floor" + tag, v, ours, 13.0, "µs")
        ratio_row("alias answers: QPS vs dnsmasq" + tag, "alias", "qps", ours, "dnsmasq", None, None, unit="q/s")
        ratio_row("alias answers: p50 at 10k q/s vs unbound" + tag, "alias", "p50_us_at_10k", ours, "unbound",
                  None, None, higher=False, unit="µs")
        ratio_row("alias answers: p99 at 10k q/s vs unbound" + tag, "alias", "p99_us_at_10k", ours, "unbound",
                  None, None, higher=False, unit="µs")
    for ours in [c for c in ("agent", "ours-test") if c in agg.get("forward_miss", {})]:
        tag = " (sandboxed worker)" if ours == "agent" else " (DNSServer unsandboxed)"
        ratio_row("forwarding misses: QPS vs direct" + tag, "forward_miss", "qps", ours, "direct", 0.6, None,
                  unit="q/s")
        ratio_row("forwarding misses: QPS vs dnsmasq cache-size=0" + tag, "forward_miss", "qps", ours,
                  "dnsmasq-nocache", None, None, unit="q/s")
        ratio_row("forwarding cache hits: QPS vs direct" + tag, "forward_hit", "qps", ours, "direct", 1.0, None,
                  unit="q/s")
    for mode, name in (("single", "one stream"), ("reverse", "-R"), ("parallel8", "-P 8")):
        ratio_row("relay %s: Gbit/s vs haproxy TLS pair" % name, "relay_" + mode, "gbps", "agent", "haproxy",
                  1.0, 0.8, unit="Gbit/s")
        ratio_row("relay %s: CPU s/GB vs haproxy TLS pair" % name, "relay_" + mode, "cpu_s_per_gb", "agent",
                  "haproxy", None, None, higher=False, unit="s/GB")
    ratio_row("connections/s vs haproxy TLS pair", "connrate", "conn_per_s", "agent", "haproxy", 1.0, 0.8,
              unit="conn/s")
    ratio_row("CPU per connection vs haproxy TLS pair", "connrate", "cpu_ms_per_conn", "agent", "haproxy",
              None, None, higher=False, unit="ms")
    fc = get(agg, "firstconn", "agent", "p50_ms")
    if fc is not None:
        absolute_row("first connection p50 (DNS → first byte)", fc, "agent", 5.0, "ms")
        absolute_row("first connection p99 (informational)", get(agg, "firstconn", "agent", "p99_ms"), "agent",
                     None, "ms")
    idle = agg.get("memory_idle", {})
    if "agent-total" in idle:
        them = None
        u, h = get(agg, "memory_idle", "unbound", "footprint_kb"), get(agg, "memory_idle", "haproxy-pair", "footprint_kb")
        if u and h:
            them = (u + h) / 1024
        for key, label in (("footprint_kb", "idle memory, helper + dns + proxy: footprint (each page once)"),
                           ("rss_kb", "idle memory, helper + dns + proxy: RSS sum"),
                           ("pss_kb", "idle memory, helper + dns + proxy: PSS sum")):
            v = get(agg, "memory_idle", "agent-total", key)
            if v is not None:
                absolute_row(label, v / 1024, "agent", 30.0, "MiB",
                             contender=them if key == "footprint_kb" else None,
                             contender_name="unbound + haproxy pair, footprint")
    growth = get(agg, "scale_dns", "big", "rss_growth_kb")
    if growth is not None:
        absolute_row("scale: DNSServer RSS growth for the big views", growth / 1024, "ours-test", 100.0, "MiB")
        ratio_row("scale: alias QPS, big views vs 1,000 names", "scale_dns", "qps", "big", "small", 0.9, None,
                  unit="q/s")
    agent_growth = get(agg, "scale_agent", "agent", "rss_growth_kb")
    if agent_growth is not None:
        absolute_row("scale: agent RSS growth (helper + dns + proxy)", agent_growth / 1024, "agent", 100.0, "MiB")
    for label in ("unchanged", "one_added"):
        v = get(agg, "scale_refresh", label, "broker_cpu_ms_per_refresh")
        if v is not None:
            absolute_row("scale: broker CPU per delta refresh (%s)" % label.replace("_", " "), v, "agent", None, "ms")
    for row in rows:
        a, b = row["ours"], row["contender"]
        row["ratio"] = None
        if row["kind"] == "ratio" and a is not None and b:
            row["ratio"] = a / b
        goal, floor = row["goal"], row["floor"]
        if row["kind"] == "ratio":
            r = row["ratio"]
            if r is None or goal is None:
                row["met"] = None
            elif row["higher_is_better"]:
                row["met"] = "yes" if r >= goal else ("floor" if floor is not None and r >= floor else "no")
            else:
                row["met"] = "yes" if r <= goal else "no"
        else:
            if a is None or goal is None:
                row["met"] = None
            else:
                row["met"] = "yes" if a <= goal else "no"
    return rows


def fmt(v, digits=None):
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    if digits is None:
        a = abs(v)
        digits = 0 if a >= 1000 else 1 if a >= 100 else 2 if a >= 1 else 3
    return "{:,.{}f}".format(v, digits)


def markdown(meta, notes, agg, rows):
    out = []
    out.append("# Benchmark %s" % meta.get("date", ""))
    out.append("")
    forward = meta.get("forward_reps")
    reps = "%s" % meta.get("reps") if forward in (None, meta.get("reps")) else "%s (%s for forwarding)" % (
        meta.get("reps"), forward)
    out.append("Commit `%s`, kernel %s, %s cores, %s repetition(s) per measurement (contenders interleaved), "
               "medians. Load average (1/5/15 min) before: %s; after: %s. Run took %s s." % (
                   meta.get("commit"), meta.get("kernel"), meta.get("cores"), reps,
                   meta.get("load_before"), meta.get("load_after"), meta.get("seconds")))
    out.append("")
    for n in notes:
        out.append("- " + n)
    if notes:
        out.append("")
    out.append("## Targets")
    out.append("")
    out.append("| target | ours | contender | ratio | goal | met |")
    out.append("|---|---:|---:|---:|---|---|")
    for r in rows:
        if r["kind"] == "ratio":
            goal = "–" if r["goal"] is None else ("≥ %.1f×" % r["goal"] if r["higher_is_better"] else "≤ %.1f×" % r["goal"])
            if r["floor"] is not None:
                goal += " (floor %.1f×)" % r["floor"]
            ratio = fmt(r["ratio"], 2) + "×" if r["ratio"] is not None else "–"
            contender = "%s %s (%s)" % (fmt(r["contender"]), r["unit"], r["contender_name"])
        else:
            goal = "–" if r["goal"] is None else "≤ %s %s" % (fmt(r["goal"]), r["unit"])
            ratio = "–"
            contender = "–" if r["contender"] is None else "%s %s (%s)" % (fmt(r["contender"]), r["unit"],
                                                                           r["contender_name"])
        out.append("| %s | %s %s | %s | %s | %s | %s |" % (
            r["label"], fmt(r["ours"]), r["unit"], contender, ratio, goal, r["met"] or "–"))
    out.append("")
    out.append("## All medians (min–max over repetitions)")
    for phase in agg:
        out.append("")
        out.append("### %s" % phase)
        out.append("")
        keys = []
        for c in agg[phase].values():
            for k in c:
                if k not in keys:
                    keys.append(k)
        out.append("| contender | " + " | ".join("%s (%s)" % (k, agg_unit(agg[phase], k)) for k in keys) + " |")
        out.append("|---|" + "---:|" * len(keys))
        for contender, values in agg[phase].items():
            cells = []
            for k in keys:
                if k in values:
                    v = values[k]
                    cell = fmt(v["median"])
                    if len(v["values"]) > 1:
                        cell += " (%s–%s)" % (fmt(min(v["values"])), fmt(max(v["values"])))
                    cells.append(cell)
                else:
                    cells.append("–")
            out.append("| %s | %s |" % (contender, " | ".join(cells)))
    out.append("")
    return "\n".join(out)


def agg_unit(phase, key):
    for c in phase.values():
        if key in c:
            return c[key]["unit"] or "-"
    return "-"


def chart(agg, rows, png, title):
    """Four panels: DNS q/s, relay Gbit/s, connections/s, and every target as a 'higher is better'
    ratio against its contender (1.0 = parity)."""
    tmp = tempfile.mkdtemp(prefix="bench-chart.")
    dns_phases = [("alias", "alias answers"), ("forward_miss", "forward: misses"), ("forward_hit", "forward: hits")]
    dns_contenders = ["agent", "ours-test", "unbound", "dnsmasq", "dnsmasq-nocache", "direct"]
    present = [c for c in dns_contenders if any(c in agg.get(p, {}) for p, _ in dns_phases)]
    found = {"dns": False, "relay": False, "conn": False}
    with open(os.path.join(tmp, "dns.dat"), "w") as f:
        f.write("phase " + " ".join(present) + "\n")
        for p, label in dns_phases:
            vals = [get(agg, p, c, "qps") for c in present]
            found["dns"] |= any(v is not None for v in vals)
            f.write('"%s" %s\n' % (label, " ".join("%.0f" % (v / 1000) if v else "-" for v in vals)))
    relay_contenders = ["agent", "haproxy", "direct"]
    with open(os.path.join(tmp, "relay.dat"), "w") as f:
        f.write("mode " + " ".join(relay_contenders) + "\n")
        for m, label in (("single", "1 stream"), ("reverse", "-R"), ("parallel8", "-P 8")):
            vals = [get(agg, "relay_" + m, c, "gbps") for c in relay_contenders]
            found["relay"] |= any(v is not None for v in vals)
            f.write('"%s" %s\n' % (label, " ".join("%.2f" % v if v is not None else "-" for v in vals)))
    with open(os.path.join(tmp, "conn.dat"), "w") as f:
        for c in relay_contenders:
            v = get(agg, "connrate", c, "conn_per_s")
            found["conn"] |= v is not None
            f.write('"%s" %s\n' % (c, "%.0f" % v if v is not None else "-"))
    with open(os.path.join(tmp, "ratio.dat"), "w") as f:
        n = 0
        for r in rows:
            if r["kind"] != "ratio" or r["ratio"] is None or r["goal"] is None:
                continue
            value = r["ratio"] if r["higher_is_better"] else 1 / r["ratio"]
            label = r["label"].replace(" (sandboxed worker)", " [agent]").replace(" (DNSServer unsandboxed)", " [DNSServer]")
            label = label.replace("haproxy TLS pair", "haproxy").replace('"', "'")
            goal = r["goal"] if r["higher_is_better"] else 1 / r["goal"]
            f.write('%d "%s" %.3f %.3f\n' % (n, label, value, goal))
            n += 1
    def placeholder(title):
        return ('set title "%s"\nunset key\nset xrange [0:1]\nset yrange [0:1]\nunset xtics\nunset ytics\n'
                'set label 1 "not measured in this run" at 0.5,0.5 center\nplot NaN notitle\nunset label 1\n'
                'set xtics\nset ytics\nset autoscale x\nset yrange [0:*]\nset key top right\n' % title)

    panels = []
    t = "DNS: thousand queries/s (dnsperf -c 100)"
    if found["dns"]:
        panels.append('set title "%s"\nset style data histograms\nplot for [i=2:%d] "%s/dns.dat" using i:xtic(1) '
                      'title columnheader(i)\n' % (t, len(present) + 1, tmp))
    else:
        panels.append(placeholder(t))
    t = "Relay throughput: Gbit/s (iperf3)"
    if found["relay"]:
        panels.append('set title "%s"\nset style data histograms\nplot for [i=2:4] "%s/relay.dat" using i:xtic(1) '
                      'title columnheader(i)\n' % (t, tmp))
    else:
        panels.append(placeholder(t))
    t = "Connections/s (wrk, Connection: close, to nginx)"
    if found["conn"]:
        panels.append('set title "%s"\nunset key\nplot "%s/conn.dat" using 0:2:xtic(1) with boxes lc rgb "#4e79a7", '
                      '"" using 0:2:2 with labels offset 0,0.7\nset key top right\n' % (t, tmp))
    else:
        panels.append(placeholder(t))
    t = "Ratios to the contender (higher is better; red = goal, dashes = parity)"
    ratio_panel = ('set title "%s"\nunset key\nset xtics rotate by 35 right font ",8"\nset bmargin 16\n'
                   'set xrange [-0.6:*]\nplot "%s/ratio.dat" using 1:3:xtic(2) with boxes lc rgb "#59a14f", '
                   '"" using 1:4 with points pt 5 ps 1.2 lc rgb "#e15759", 1 with lines dt 2 lc rgb "black"\n' % (t, tmp))
    panels.append(ratio_panel if os.path.getsize(os.path.join(tmp, "ratio.dat")) else placeholder(t))
    script = """
set terminal pngcairo size 1500,1150 font "DejaVu Sans,10"
set output "{png}"
set multiplot layout 2,2 title "{title}" font ",13"
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top right
set yrange [0:*]
{panels}
unset multiplot
""".format(png=png, title=title, panels="\n".join(panels))
    path = os.path.join(tmp, "chart.gp")
    with open(path, "w") as f:
        f.write(script)
    subprocess.run(["gnuplot", path], check=True)


def main():
    raw, prefix = sys.argv[1], sys.argv[2]
    meta, notes, records = load(raw)
    agg = aggregate(records)
    rows = targets(agg)
    with open(prefix + ".json", "w") as f:
        json.dump({"meta": meta, "notes": notes, "records": records, "medians": agg, "targets": rows}, f,
                  indent=1, ensure_ascii=False)
    with open(prefix + ".md", "w") as f:
        f.write(markdown(meta, notes, agg, rows))
    chart(agg, rows, prefix + ".png", "boundary-client-agent vs unbound, dnsmasq, haproxy (%s, load %s → %s)" % (
        meta.get("date"), meta.get("load_before", "?").split()[0], (meta.get("load_after") or "?").split()[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
