"""Build environments for Autarky: the CPU driver, the domain runtime and
domains (arm-none-eabi, picolibc), and the host unit tests (gcc + CUnit)."""

import os
from SCons.Script import Environment, Glob

ARCH = 'armv7'
CROSS = 'arm-none-eabi-'
TARGET_FLAGS = ['-mcpu=cortex-a15', '-marm', '-mfloat-abi=soft']
WARNINGS = ['-Wall', '-Wextra', '-Werror']
COMMON_CPPPATH = ['#include', '#include/arch/' + ARCH]


def cross_env(**extra):
    """An environment using the GCC ARM cross toolchain."""
    env = Environment(ENV=os.environ.copy(),
                      CC=CROSS + 'gcc', AS=CROSS + 'gcc', AR=CROSS + 'ar',
                      RANLIB=CROSS + 'ranlib', LINK=CROSS + 'gcc',
                      OBJCOPY=CROSS + 'objcopy')
    env.Replace(CCFLAGS=TARGET_FLAGS + ['-O2', '-g', '-std=gnu11'] + WARNINGS,
                ASFLAGS=TARGET_FLAGS + ['-g', '-c'],
                CPPPATH=list(COMMON_CPPPATH),
                LINKFLAGS=list(TARGET_FLAGS))
    # .S files go through the C preprocessor.
    env['ASPPCOM'] = '$CC $ASFLAGS $_CPPINCFLAGS -o $TARGET $SOURCES'
    env.Append(**extra)
    return env


def kernel_env():
    """The CPU driver: freestanding, no C library, its own linker script."""
    env = cross_env()
    env.Append(CCFLAGS=['-ffreestanding', '-fno-common', '-nostdlib',
                        # uint32_t is 'unsigned long' on arm-none-eabi:
                        # printk formats are checked by the host build.
                        '-Wno-format'],
               CPPPATH=['#kernel/include', '#kernel/arch/%s/include' % ARCH],
               LINKFLAGS=['-nostdlib', '-T', 'kernel/arch/%s/kernel.ld' % ARCH,
                          '-Wl,--build-id=none'],
               LIBS=['gcc'])
    return env


def domain_env():
    """Domains and their runtime library: picolibc (docs/libc.md)."""
    env = cross_env()
    env.Append(CCFLAGS=['--specs=picolibc.specs'],
               LINKFLAGS=['--specs=picolibc.specs', '-nostartfiles',
                          '-T', 'lib/arch/%s/domain.ld' % ARCH,
                          '-Wl,--build-id=none',
                          # malloc by size: size classes, medium chunks,
                          # own blocks (morecore/malloc_large.c)
                          '-Wl,--wrap=malloc,--wrap=free,--wrap=calloc,'
                          '--wrap=realloc,--wrap=mallinfo,--wrap=malloc_usable_size'])
    return env


def host_env():
    """Host unit tests: the real kernel logic against fake arch headers."""
    env = Environment(ENV=os.environ.copy(), CC='gcc', LINK='gcc')
    san = ['-fsanitize=address,undefined', '-fno-omit-frame-pointer']
    env.Replace(CCFLAGS=['-std=gnu11', '-O1', '-g', '-Wall', '-Wextra'] + san,
                LINKFLAGS=san,
                # fake arch headers first, then the real ones
                CPPPATH=['#test/host/arch'] + COMMON_CPPPATH
                + ['#kernel/include', '#kernel/arch/%s/include' % ARCH],
                LIBS=['cunit'])
    return env


def host_tool_env():
    """Tools the build runs on the build machine (build/tools/): plain gcc."""
    env = Environment(ENV=os.environ.copy(), CC='gcc', LINK='gcc')
    env.Replace(CCFLAGS=['-std=gnu11', '-O2', '-g', '-Wall', '-Wextra', '-Werror'],
                CPPPATH=[])
    return env


def host_lib_env():
    """Host unit tests of the domain runtime (lib/, vspace/, spawn/...):
    the real runtime code against fake invocations (test/host/lib/)."""
    env = host_env()
    env.Replace(CPPPATH=['#test/host/lib', '#test/host'] + COMMON_CPPPATH)
    return env


def sources(env, *patterns):
    """All files matching the glob patterns, in a stable order."""
    found = []
    for pattern in patterns:
        found.extend(env.Glob(pattern))
    return sorted(found, key=str)
