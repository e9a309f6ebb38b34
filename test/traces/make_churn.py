#!/usr/bin/env python3
"""Writes churn.trace: a synthetic allocation trace in the format of
../shared/traces/README.md for the `traces` boot test (tr_churn verify).
About 8,000 records around 400 live objects: 70 % of sizes 1..1024, 26 %
1 KiB..64 KiB, 4 % 64..320 KiB; one record in ten a realloc (growing or
shrinking), the rest allocations and frees. Fixed seed: the file never
changes unless this script does."""
import random

rnd = random.Random(11)


def size():
    x = rnd.random()
    if x < 0.70:
        return rnd.randint(1, 1024)
    if x < 0.96:
        return rnd.randint(1025, 65536)
    return rnd.randint(65537, 327680)


live, next_id, lines = [], 1, []
for step in range(8000):
    x = rnd.random()
    if live and x < 0.10:
        i = rnd.randrange(len(live))
        lines.append('r %d %d %d' % (live[i], next_id, size()))
        live[i] = next_id
        next_id += 1
    elif live and (x < 0.55 or len(live) > 600) and not (len(live) < 200):
        i = rnd.randrange(len(live))
        lines.append('f %d' % live.pop(i))
    else:
        lines.append('a %d %d' % (next_id, size()))
        live.append(next_id)
        next_id += 1
with open('churn.trace', 'w') as f:
    f.write('\n'.join(lines) + '\n')
