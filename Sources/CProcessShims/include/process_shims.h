#ifndef HYPERGRID_PROCESS_SHIMS_H
#define HYPERGRID_PROCESS_SHIMS_H
/* Linux process controls whose C APIs are variadic or need _GNU_SOURCE, and so are
   invisible to Swift. */

/* Ask the kernel to send `signal` to this process when its parent dies
   (prctl(PR_SET_PDEATHSIG)). Returns 0 on success, -1 elsewhere or on error. */
int hypergrid_set_parent_death_signal(int signal);

/* How many CPUs this process may run on (sched_getaffinity's mask, e.g. under taskset),
   at least 1; the online CPU count where the mask cannot be read. */
int hypergrid_allowed_cpu_count(void);

#endif
