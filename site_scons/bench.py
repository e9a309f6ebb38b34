#!/usr/bin/env python3
"""`scons bench`: benchmarks under -icount shift=0 (instructions).

No benchmark exists yet: the first ones (RPC round trip, RAM-cap request)
arrive with message passing. This says so and succeeds, rather than
pretending to measure anything.
"""

print('bench: no benchmarks yet (they come with the domain runtime milestone)')
