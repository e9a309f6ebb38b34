/* The shared workloads (bench/frag/), built into this domain: a domain is
 * every .c file of its directory (SConstruct's build_domain), and the
 * Linux reference compiles the same file with its own toolchain. */
#include "../../frag/frag_workloads.c"
