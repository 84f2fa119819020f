#!/usr/bin/env python3
"""Hot methods of a JFR recording (JDK 17 has no `jfr view hot-methods`): reads
`jfr print --events jdk.ExecutionSample --stack-depth 64 FILE` and prints
  - top methods by self samples (the frame on top of the stack),
  - top methods by inclusive samples (anywhere on the stack), lockserver and library
    entry points included, so one sees which request phase costs what,
  - a breakdown by area (XML parsing, XML writing, Jetty/HTTP I/O, logging, metrics, core, ...),
  - where memory is allocated (jdk.ObjectAllocationSample weights), by area and by the
    outermost interesting frame, and the total allocated per second.
usage: jfr_hot.py FILE.jfr [TOP]"""
import collections
import re
import subprocess
import sys

AREAS = [
    ("XML parsing (Xerces SAX, parser creation)", ("com.sun.org.apache.xerces", "javax.xml.parsers",
                                                     "jdk.xml.internal", "org.apache.xmlrpc.parser")),
    ("XML-RPC writing/serialising", ("org.apache.xmlrpc.serializer", "org.apache.ws.commons",
                                     "org.apache.xmlrpc.common.XmlRpcStreamConfig")),
    ("XML-RPC server/servlet glue", ("org.apache.xmlrpc",)),
    ("logging (log4j)", ("org.apache.logging",)),
    ("metrics (prometheus)", ("io.prometheus",)),
    ("lockserver core", ("lockserver.core",)),
    ("lockserver server", ("lockserver.server",)),
    ("Jetty HTTP / I/O", ("org.eclipse.jetty",)),
    ("JDK I/O, NIO, sockets", ("sun.nio", "java.nio", "sun.net", "java.net", "jdk.internal.net")),
    ("JDK crypto / SecureRandom", ("sun.security", "java.security")),
    ("JDK collections / concurrency", ("java.util",)),
    ("JDK strings / misc", ("java.lang", "jdk.internal")),
]


def area(frame):
    for name, prefixes in AREAS:
        if frame.startswith(prefixes):
            return name
    return "other"


def samples(path, event="jdk.ExecutionSample"):
    text = subprocess.run(["jfr", "print", "--events", event, "--stack-depth", "64", path],
                          capture_output=True, text=True, check=True).stdout
    for block in text.split(event + " {")[1:]:
        if event == "jdk.ObjectAllocationSample":
            w = re.search(r"weight = ([\d.]+) (bytes|kB|MB|GB)", block)
            weight = float(w.group(1)) * {"bytes": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[w.group(2)] if w else 0
            t = re.search(r'eventThread = "(.*?)"', block)
            frames = []
            m = re.search(r"stackTrace = \[(.*?)\n\s*\]", block, re.S)
            if m:
                frames = [re.sub(r"\s+line:.*$", "", l.strip()) for l in m.group(1).strip().splitlines()
                          if l.strip() and l.strip() != "..."]
            yield weight, (t.group(1) if t else "?"), frames
            continue
        m = re.search(r"stackTrace = \[(.*?)\n\s*\]", block, re.S)
        if not m:
            continue
        frames = []
        for line in m.group(1).strip().splitlines():
            line = line.strip()
            if not line or line == "...":
                continue
            frames.append(re.sub(r"\s+line:.*$", "", line))
        if frames:
            yield frames


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    self_c = collections.Counter()
    incl = collections.Counter()
    areas = collections.Counter()
    n = 0
    for frames in samples(path):
        n += 1
        self_c[frames[0]] += 1
        # the area of a sample: the deepest-named area from the top that is not plain JDK
        a = area(frames[0])
        if a.startswith("JDK"):
            for f in frames[1:]:
                b = area(f)
                if not b.startswith("JDK") and b != "other":
                    a = b + " (in JDK code)"
                    break
        areas[a] += 1
        seen = set()
        for f in frames:
            if f not in seen:
                seen.add(f)
                incl[f] += 1
    if n == 0:
        print("no execution samples in", path)
        return
    print("%d execution samples (Java code only, all threads)\n" % n)
    print("by area (top frame, JDK frames attributed to the nearest caller's area):")
    for a, c in areas.most_common():
        print("  %5.1f%%  %s" % (100.0 * c / n, a))
    print("\ntop %d methods by self time:" % top)
    for f, c in self_c.most_common(top):
        print("  %5.1f%%  %s" % (100.0 * c / n, f))
    allocations(path, top)
    print("\ntop %d methods by inclusive time (lockserver, xmlrpc, jetty, log4j, prometheus, xerces):" % top)
    shown = 0
    for f, c in incl.most_common():
        if f.startswith(("lockserver.", "org.apache.xmlrpc", "org.eclipse.jetty.server", "org.eclipse.jetty.ee10",
                         "org.apache.logging", "io.prometheus", "javax.xml", "com.sun.org.apache.xerces",
                         "java.security", "sun.security")):
            print("  %5.1f%%  %s" % (100.0 * c / n, f))
            shown += 1
            if shown == top:
                break


INTERESTING = ("lockserver.", "org.apache.xmlrpc", "org.eclipse.jetty", "org.apache.logging", "io.prometheus",
               "com.sun.org.apache.xerces", "org.apache.ws.commons", "jdk.internal.net.http", "LoadDriver")


def allocations(path, top):
    total = 0.0
    by_area = collections.Counter()
    by_site = collections.Counter()
    first = last = None
    for weight, thread, frames in samples(path, "jdk.ObjectAllocationSample"):
        total += weight
        a = "other"
        for f in frames:
            b = area(f)
            if not b.startswith("JDK") and b != "other":
                a = b
                break
        if not frames:
            a = "VM threads (JIT compiler...)" if "Compiler" in thread else "no stack"
        by_area[a] += weight
        site = next((f for f in frames if f.startswith(INTERESTING)), frames[0] if frames else thread)
        by_site[site] += weight
    if total == 0:
        return
    print("\nallocation (jdk.ObjectAllocationSample weights, %.0f MB in total):" % (total / 1e6))
    for a, w in by_area.most_common():
        print("  %5.1f%%  %s" % (100.0 * w / total, a))
    print("\ntop %d allocation sites (first lockserver/library frame from the top):" % top)
    for f, w in by_site.most_common(top):
        print("  %5.1f%%  %s" % (100.0 * w / total, f))


if __name__ == "__main__":
    main()
