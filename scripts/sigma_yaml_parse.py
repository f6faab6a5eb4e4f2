#!/usr/bin/env python3
"""Peer for BenchmarkLoadSigmaHQ: a bare parse of every Sigma rule file
under a folder by Python with libyaml (yaml.load_all with CSafeLoader), the
fastest YAML reading Python offers, which is only the first step of what
Vigil's loader does (it also checks and compiles every rule).

Prints one benchstat line, the best of ROUNDS runs:
  BenchmarkPythonCSafeLoaderParse 1 <wall ns/op> ns/op <cpu ns> cpu-ns/op <files> files <docs> docs
"""
import os
import sys
import time

try:
    import yaml
    from yaml import CSafeLoader
except ImportError as e:  # python3-yaml without libyaml gives no CSafeLoader
    sys.stderr.write("sigma_yaml_parse: python3-yaml with libyaml needed (apt-get install python3-yaml): %s\n" % e)
    sys.exit(3)


def files_under(root):
    out = []
    for d, _, names in os.walk(root):
        for n in names:
            if n.endswith((".yml", ".yaml")):
                out.append(os.path.join(d, n))
    return out


def main():
    root = sys.argv[1]
    rounds = int(os.environ.get("ROUNDS", "3"))
    best_wall = best_cpu = None
    docs = 0
    for _ in range(rounds):
        w0, c0 = time.perf_counter_ns(), time.process_time_ns()
        paths = files_under(root)
        docs = 0
        for p in paths:
            with open(p, "rb") as fh:
                for _doc in yaml.load_all(fh, Loader=CSafeLoader):
                    docs += 1
        wall, cpu = time.perf_counter_ns() - w0, time.process_time_ns() - c0
        if best_wall is None or wall < best_wall:
            best_wall = wall
        if best_cpu is None or cpu < best_cpu:
            best_cpu = cpu
    print("BenchmarkPythonCSafeLoaderParse 1 %d ns/op %d cpu-ns/op %d files %d docs" % (best_wall, best_cpu, len(paths), docs))


if __name__ == "__main__":
    main()
