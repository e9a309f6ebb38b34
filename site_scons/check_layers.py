"""The domain runtime's layers, checked (docs/architecture.md).

From the bottom: lib/ (capabilities, slots, slab, RAM, messages, threads),
vspace/ (the address space), rpc/ and spawn/ (side by side: neither uses
the other), morecore/ (the heap), and lib/start/ (the start-up layer: the
first run upcall, runtime start-up, the libc glue), the only place that
ties the others together. A file may include a header of its own module or
of a lower layer, never one of a higher layer or of a sibling. A lower
layer that needs a service from above gets it as a function pointer the
start-up layer installs (slab_set_default_refill, ram_alloc_set_backend,
ram_alloc_set_may_ask, domain_set_exit_notice, spawn_set_ram_source).

Each header of include/aos/ belongs to one module (HEADER_OWNER); a header
missing from that table is an error too, so a new header gets a place.
Relative includes ("../vspace/x.h") belong to the directory they name.

    python3 site_scons/check_layers.py            check the tree, exit 1 on a violation
    python3 site_scons/check_layers.py --selftest  show that an upward include is caught
"""
import os
import re
import sys

# module -> (level, source directories). Equal levels are siblings.
MODULES = {
    'lib': (0, ['lib', 'lib/arch/armv7']),
    'vspace': (1, ['vspace']),
    'rpc': (2, ['rpc']),
    'spawn': (2, ['spawn']),
    'morecore': (3, ['morecore']),
    'start': (4, ['lib/start']),
}

HEADER_OWNER = {
    # lib: the bottom
    'args_page.h': 'lib', 'caps.h': 'lib', 'cmdline.h': 'lib', 'core_channel.h': 'lib',
    'debug.h': 'lib', 'dispatch.h': 'lib', 'libc_locks.h': 'lib', 'lmp.h': 'lib', 'mm.h': 'lib',
    'ram_alloc.h': 'lib', 'slab.h': 'lib', 'slot_alloc.h': 'lib', 'syscalls.h': 'lib',
    'threads.h': 'lib', 'ump.h': 'lib', 'utest.h': 'lib', 'icm.h': 'lib',
    # the address space
    'buddy.h': 'vspace', 'paging.h': 'vspace', 'vmmap.h': 'vspace',
    # RPC, spawning
    'aos_rpc.h': 'rpc', 'aos_rpc_wire.h': 'rpc', 'xchan.h': 'rpc', 'rpc_serve.h': 'rpc',
    'spawn.h': 'spawn', 'elf.h': 'spawn',
    # the heap
    'morecore.h': 'morecore',
    # start-up
    'runtime.h': 'start',
}

RE_INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]', re.M)


def module_of_path(path):
    """The module a source file (relative to the root) belongs to, or None."""
    best = None
    for name, (_, dirs) in MODULES.items():
        for d in dirs:
            if os.path.dirname(path) == d and (best is None or len(d) > len(best[1])):
                best = (name, d)
    return best[0] if best else None


def owner_of_include(src_path, kind, target):
    """(module, header) an include names, None for one outside the runtime
    (libc, autarky/, arch/), or ('?', header) for an unknown aos header."""
    if kind == '<':
        if target.startswith('aos/'):
            header = target[len('aos/'):]
            return HEADER_OWNER.get(header, '?'), target
        return None
    resolved = os.path.normpath(os.path.join(os.path.dirname(src_path), target))
    return module_of_path(resolved), resolved


def violations_of(path, text, own):
    """Each upward, sideways or unknown include in one file's `text`."""
    level = MODULES[own][0]
    found = []
    for m in RE_INCLUDE.finditer(text):
        owner = owner_of_include(path, m.group(1), m.group(2))
        if owner is None or owner[0] is None:
            continue
        mod, header = owner
        line = text.count('\n', 0, m.start()) + 1
        if mod == '?':
            found.append('%s:%d: %s has no layer (add it to HEADER_OWNER)' % (path, line, header))
        elif mod != own and MODULES[mod][0] >= level:
            found.append('%s:%d: %s (layer %s) includes %s of %s (layer %s)'
                         % (path, line, own, level, header, mod, MODULES[mod][0]))
    return found


def runtime_files(root):
    """(path, module, text) of every runtime source and aos header."""
    for name, (_, dirs) in MODULES.items():
        for d in dirs:
            full = os.path.join(root, d)
            for f in sorted(os.listdir(full)) if os.path.isdir(full) else []:
                if f.endswith(('.c', '.h', '.S')):
                    path = os.path.join(d, f)
                    if module_of_path(path) == name:
                        yield path, name, open(os.path.join(root, path)).read()
    inc = os.path.join(root, 'include', 'aos')
    for f in sorted(os.listdir(inc)):
        if f.endswith('.h'):
            own = HEADER_OWNER.get(f)
            path = os.path.join('include', 'aos', f)
            if own is None:
                yield path, None, ''
            else:
                yield path, own, open(os.path.join(root, path)).read()


def check(files):
    out = []
    for path, own, text in files:
        if own is None:
            out.append('%s: has no layer (add it to HEADER_OWNER)' % path)
        else:
            out.extend(violations_of(path, text, own))
    return out


def selftest(root):
    """The check must fail on a deliberately added upward include: the slab
    (lib) including the RPC header, and a sibling include (rpc -> spawn)."""
    files = list(runtime_files(root))
    ok = not check(files)
    for victim, bad in (('lib/slab.c', '#include <aos/aos_rpc.h>\n'),
                        ('rpc/aos_rpc.c', '#include <aos/spawn.h>\n'),
                        ('vspace/paging.c', '#include "../morecore/malloc_internal.h"\n')):
        planted = [(p, o, bad + t if p == victim else t) for p, o, t in files]
        got = check(planted)
        caught = len(got) == 1 and got[0].startswith(victim + ':1:')
        print('check_layers selftest: %s planted in %s: %s'
              % (bad.strip(), victim, got[0] if caught else 'NOT CAUGHT %r' % got))
        ok = ok and caught
    return ok


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if '--selftest' in sys.argv[1:]:
        sys.exit(0 if selftest(root) else 1)
    problems = check(runtime_files(root))
    for p in problems:
        print('layer violation: ' + p)
    print('runtime layers: %d violation(s)' % len(problems))
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
