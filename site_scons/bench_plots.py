"""The pictures of `scons bench`: RAM held and live bytes over a run.

For every trace replay and fragbench workload measured on both systems,
bench.py hands this module the samples each side printed (Autarky:
`TRACE-SAMPLE` / `FRAG-SAMPLE NAME ops live ram`; Linux: `LINUX-SAMPLE`, the
same fields) and it writes one SVG, <dir>/plot_NAME.svg: heap RAM of Autarky
and of glibc, and the live bytes, in MiB against the operations done. The
two sides run the same requests in the same order, so their x axes agree.

Uses Debian's python3-matplotlib (`sh site_scons/ensure-deps.sh bench`);
without it, plot_all says so and writes nothing (the figures do not depend
on it).
"""
import os

MIB = float(1 << 20)


def _load_pyplot():
    """matplotlib's pyplot with a file-only backend, or None if not installed."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use('svg')
    import matplotlib.pyplot as plt
    plt.rcParams['svg.hashsalt'] = 'autarky'    # the same element ids from run to run
    return plt


def plot_one(plt, name, autarky, linux, path):
    """One figure: `autarky` and `linux` are [(ops, live, ram)] in order."""
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    ax.plot([s[0] for s in autarky], [s[2] / MIB for s in autarky],
            label='Autarky: RAM held', color='tab:blue', linewidth=1.4)
    ax.plot([s[0] for s in linux], [s[2] / MIB for s in linux],
            label='Linux 6.1 + glibc: RAM held', color='tab:orange', linewidth=1.4,
            linestyle='--')
    ax.plot([s[0] for s in autarky], [s[1] / MIB for s in autarky],
            label='live bytes', color='0.35', linewidth=1.0, linestyle=':')
    ax.set_xlabel('operations (malloc, free, realloc)')
    ax.set_ylabel('MiB')
    ax.set_title(name)
    ax.set_ylim(bottom=0)
    ax.grid(True, linewidth=0.3)
    ax.legend(loc='best', fontsize='small')
    fig.tight_layout()
    fig.savefig(path, format='svg', metadata={'Date': None})
    plt.close(fig)


def plot_all(autarky, linux, out_dir):
    """A plot per name sampled on both sides; returns the paths written
    (empty, with a note printed, if matplotlib is missing)."""
    names = sorted(set(autarky) & set(linux))
    if not names:
        return []
    plt = _load_pyplot()
    if plt is None:
        print('bench: no plots: python3-matplotlib is not installed '
              '(sh site_scons/ensure-deps.sh bench)')
        return []
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for name in names:
        path = os.path.join(out_dir, 'plot_%s.svg' % name)
        plot_one(plt, name, autarky[name], linux[name], path)
        written.append(path)
    return written
